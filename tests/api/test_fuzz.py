"""Schemathesis against /api/v1/openapi.json, in process: no 5xx, every answer as described."""
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig

from ..helpers import factories

EXAMPLES_PER_OPERATION = 60
# A well-formed write may still meet the registry in a state its precondition does not match: 412 (an
# If-Match on a section with nothing published, or on another version) and 428 are answers, not refusals
# of the request's shape, like the 404 and 409 schemathesis already accepts.
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "428", "429", "5xx"]}}})


def test_no_operation_answers_5xx_and_every_response_conforms_to_the_description(app, client, authority):
    # Schemathesis reads the bodies as sent: uncompressed, whatever its client would accept.
    headers = {**authority(secretariat=True), "Accept-Encoding": "identity"}
    for section, build in factories.DOCUMENTS.items():  # real versions for reads and writes to meet
        client.put(f"/api/v1/countries/FR/{section}", json=build(), headers={**headers, "If-None-Match": "*"})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.call_and_validate(headers=headers)

        check()
