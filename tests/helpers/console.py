"""Signing in to the authority console and posting its forms, as a browser does."""
import html
import re

from werkzeug.datastructures import MultiDict

from registry.console import forms

PASSWORD = "correct horse battery staple"


def csrf(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def sign_in(client, email, password=PASSWORD, *, address="127.0.0.1"):
    token = csrf(client.get("/console/login"))
    return client.post("/console/login", data={"csrf_token": token, "email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def form_of(kind, value, name="") -> list[tuple[str, str]]:
    """The fields a browser posts for a draft, as the editor's widgets name them."""
    if isinstance(kind, forms.ObjectField):
        fields = [(f"{name}._keys" if name else "_keys", value["_keys"])]
        for key, inner in kind.fields.items():
            fields += form_of(inner, value[key], f"{name}.{key}" if name else key)
        return fields
    if isinstance(kind, forms.RowsField):
        return [field for index, row in enumerate(value) for field in form_of(kind.item, row, f"{name}.{index}")]
    if isinstance(kind, forms.ChecksField):
        return [(name, item) for item in value]
    if isinstance(kind, forms.ValuesField):
        return [(f"{name}.{index}", item) for index, item in enumerate(value)]
    if isinstance(kind, forms.TextField):
        return [pair for index, row in enumerate(value) for pair in ((f"{name}.{index}.lang", row["lang"]), (f"{name}.{index}.text", row["text"]))]
    return [(name, value)]


def editor_post(client, country, section, document, *, action="preview", etag=None):
    """Post a document through the editor, the way its form sends it."""
    page = client.get(f"/console/{country}/{section}")
    assert page.status_code == 200
    if etag is None:
        etag = re.search(r'name="etag" value="([^"]*)"', page.get_data(as_text=True)).group(1)
    draft = forms.from_document(section, document)
    fields = form_of(forms.SPECS[section], draft.values) + [("csrf_token", csrf(page)), ("etag", etag), ("action", action)]
    return client.post(f"/console/{country}/{section}", data=MultiDict(fields))


def hidden(response, name) -> str:
    return html.unescape(re.search(rf'name="{name}" value="([^"]*)"', response.get_data(as_text=True)).group(1))


def publish_from_preview(client, country, section, preview):
    data = {"csrf_token": csrf(preview), "etag": hidden(preview, "etag"), "document": hidden(preview, "document"), "action": "publish"}
    return client.post(f"/console/{country}/{section}", data=data)


def error_summary(response) -> str:
    """The error summary at the top of the editor, as read: tags dropped, spaces collapsed."""
    summary = re.search(r'<div class="error-summary".*?</div>', response.get_data(as_text=True), re.S).group(0)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", summary)).split())
