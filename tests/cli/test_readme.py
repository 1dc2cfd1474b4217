"""The README's examples, run as a newcomer runs them: its shell blocks against a real `registry serve --demo`."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from ..helpers.servers import free_port, start, stop

README = Path(__file__).resolve().parents[2] / "README.md"


def _shell_block(heading: str) -> str:
    """The first ```sh block after a `## heading` of the README."""
    text = README.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)


def test_the_readme_tells_how_to_reach_the_registry_command():
    run_it = README.read_text(encoding="utf-8").split("## Run it\n", 1)[1].split("\n## ", 1)[0]
    assert ".venv/bin/registry" in run_it and ". .venv/bin/activate" in run_it


def test_the_readme_examples_publish_and_then_check_a_trip_that_is_not_prohibited(database_url, tmp_path):
    """The publish example succeeds on the demonstration data, and the check example still answers as documented."""
    port = free_port()
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "DATABASE_URL": database_url, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    log = tmp_path / "serve.log"
    server = start([str(bin_dir / "registry"), "serve", "--demo", "--port", str(port)], env, log, port)
    try:
        def run(block: str) -> str:
            script = block.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, cwd=tmp_path,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            return done.stdout

        published = json.loads(run(_shell_block("Publish a first notification")))
        assert published["meta"]["version"] == 1 and published["meta"]["country"] == "FR"
        answer = json.loads(run(_shell_block("What does a trip need? The traveller check")))
        assert answer["verdict"] != "prohibited", answer
        assert answer["verdict"] in {"documents-required", "no-documents-required"}
    finally:
        log_text = stop(server, log)
    assert "Traceback" not in log_text
