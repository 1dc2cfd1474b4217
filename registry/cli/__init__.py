"""The commands of `registry` (docs/api.md, "Command line"); the group itself is in registry/__main__.py."""
import errno
import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

def register(app) -> None:
    """Put the registry's commands on the application's command line (and so on `registry`)."""
    for command in (init_command, demo_command, serve_command, deliver_command, account_group, token_group, verify_command,
                    export_command, restore_command, keys_command):
        app.cli.add_command(command)


def prepare_database() -> None:
    """Create or upgrade the database schema, then check that the reference data loads."""
    from flask_migrate import upgrade

    from .. import reference

    upgrade()
    reference.check()
    edition = reference.edition()
    click.echo(
        f"Database ready. Reference data: {len(reference.countries())} countries, "
        f"{len(reference.substances())} substances ({edition.get('yellow_list')}; {edition.get('green_list')}).",
        err=True,
    )


def load_demo() -> None:
    from . import demo

    items = demo.publications()
    with click.progressbar(length=len(items), label="Loading demonstration data", file=sys.stderr) as bar:
        made = demo.load(progress=lambda item: bar.update(1))
    click.echo(f"Demonstration data: {made} publications loaded." if made else "Demonstration data was already loaded.", err=True)


@click.command("init")
@with_appcontext
def init_command():
    """Create or upgrade the database and load reference data; safe to repeat."""
    prepare_database()


@click.command("demo")
@with_appcontext
def demo_command():
    """Load the demonstration data; safe to repeat."""
    from .demo import DemoRefused

    try:
        load_demo()
    except DemoRefused as refusal:
        raise click.ClickException(str(refusal)) from None


# waitress lets up to 16 MiB of a streamed response wait in memory per connection before it
# pauses the application; 1 MiB keeps each changes.jsonl download small (docs/performance.md).
STREAM_BUFFER_BYTES = 1024 * 1024
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")


def waitress_settings(config) -> dict:
    """What waitress needs to know of the registry's settings.

    See docs/deployment.md, "Limits, CORS, hosts and proxies".

    - The body limit: waitress refuses a larger body (413) from its Content-Length, before reading
      it, instead of buffering up to 1 GB for the application to refuse. waitress refuses a body of
      exactly its limit, Flask only one over MAX_CONTENT_LENGTH: hence the + 1.
    - REGISTRY_PROXY_HOPS: waitress removes X-Forwarded-* headers it does not trust, so it reads them
      itself, as ProxyFix does under gunicorn: the client's address, scheme and host from that many
      proxies; with 0 it trusts none and removes them.
    """
    settings = {"max_request_body_size": config["MAX_CONTENT_LENGTH"] + 1, "clear_untrusted_proxy_headers": True}
    hops = config["REGISTRY_PROXY_HOPS"]
    if hops:
        settings.update(trusted_proxy="*", trusted_proxy_count=hops,
                        trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"})
    return settings


def is_loopback(host: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() in LOOPBACK_NAMES


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Worker threads.")
@click.option("--demo", is_flag=True, help="Load the demonstration data first.")
@click.option("--deliver/--no-deliver", default=True, show_default=True,
              help="Run a delivery worker (WebSub and e-mail) in this process; without it, run `registry deliver`.")
@with_appcontext
def serve_command(host, port, threads, demo, deliver):
    """Create or upgrade the database, load reference (and demonstration) data, and serve."""
    import waitress
    from werkzeug.middleware.proxy_fix import ProxyFix

    from .demo import DemoRefused

    app = current_app._get_current_object()
    prepare_database()
    if demo:
        try:
            load_demo()
        except DemoRefused as refusal:
            click.echo(f"Not loading demonstration data: {refusal}", err=True)
    if not is_loopback(host) and not app.config.get("REGISTRY_BASE_URL") and not app.config.get("TRUSTED_HOSTS"):
        click.echo(f"Warning: serving on {host}, reachable from other machines, with neither REGISTRY_BASE_URL nor "
                   "REGISTRY_TRUSTED_HOSTS set: absolute links in feeds, the API and the exports follow whatever Host "
                   "header a client sends. Set one of them (docs/deployment.md).", err=True)
    if isinstance(app.wsgi_app, ProxyFix):
        app.wsgi_app = app.wsgi_app.app  # waitress reads the X-Forwarded-* headers itself (waitress_settings)
    if deliver:
        from ..delivery.worker import start_thread

        app.config.setdefault("REGISTRY_SERVED_AT", f"http://{host}:{port}")
        start_thread(app)
        click.echo("Delivering WebSub and e-mail notifications from this process.", err=True)
    click.echo(f"Serving the registry on http://{host}:{port}/ (Ctrl+C to stop).", err=True)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="registry",
                       outbuf_high_watermark=STREAM_BUFFER_BYTES, **waitress_settings(app.config))
    except OSError as error:  # from binding: the port is taken, the address is not this machine's, or not allowed
        if error.errno == errno.EADDRINUSE:
            raise click.ClickException(f"Port {port} on {host} is already in use (is another registry running?). "
                                       "Stop it, or choose another port with --port.") from None
        raise click.ClickException(f"Cannot listen on {host}:{port}: {error.strerror or error}.") from None


@click.command("deliver")
@click.option("--threads", type=click.IntRange(1, 256), help="Deliveries at once (default 8, REGISTRY_DELIVERY_THREADS).")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop.")
@with_appcontext
def deliver_command(threads, once):
    """Deliver publications to WebSub subscribers and e-mail subscribers until stopped (SIGTERM or Ctrl+C).

    Several may run at once against PostgreSQL; none sends what another is sending.
    """
    import signal
    import threading

    from ..delivery.worker import Worker

    worker = Worker(current_app._get_current_object(), threads=threads)
    if once:
        handled = total = worker.run_once()
        while handled:
            handled = worker.run_once()
            total += handled
        click.echo(f"Delivery round done: {total} subscriptions handled.", err=True)
        return
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    click.echo(f"Delivering (worker {worker.name}); SIGTERM or Ctrl+C stops after the deliveries under way.", err=True)
    worker.run(stop)


@click.group("account")
def account_group():
    """Accounts of authorities and of the secretariat."""


def _piped_input() -> bool:
    """Whether something was piped to standard input (looked at without waiting for more)."""
    stream = sys.stdin
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test runner's input): read what is there
        return bool(stream.read())
    import select

    ready, _, _ = select.select([descriptor], [], [], 0.2)
    return bool(ready) and bool(os.read(descriptor, 1))


def _refuse_piped_password() -> None:
    if _piped_input():
        raise click.ClickException("A password was piped to standard input, but it is read only with --password-stdin; "
                                   "nothing was changed. Run the command again with --password-stdin.")


def _find_account(email: str):
    from ..accounts import find_account

    account = find_account(email)
    if account is None:
        raise click.ClickException(f"There is no account {email}.")
    return account


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "never"


def _echo_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Rows in columns (two spaces apart) on standard output, the header first."""
    widths = [max(len(str(row[column])) for row in [header, *rows]) for column in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


@account_group.command("add")
@click.argument("email")
@click.option("--country", metavar="CC", help="The country whose notification this account writes (ISO 3166-1 alpha-2).")
@click.option("--secretariat", is_flag=True, help="A secretariat account, which may write any country.")
@click.option("--authority", "authority_name", metavar="NAME", help="The authority's name, shown as the publisher.")
@click.option("--admin", is_flag=True, help="The country's administrator, who invites and disables its officers in the console.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def account_add(email, country, secretariat, authority_name, admin, password_stdin):
    """Add an account: for one country (--country CC) or for the secretariat (--secretariat).

    Without a terminal and without --password-stdin the account has no password (API
    tokens only); a password piped without --password-stdin is refused, not ignored.
    """
    from ..accounts import AccountError, add_account

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n") or None
    elif sys.stdin.isatty():
        password = click.prompt("Password (empty: API tokens only)", hide_input=True, confirmation_prompt=True, default="", show_default=False) or None
    else:
        _refuse_piped_password()
        password = None
    try:
        account = add_account(email, country=country.upper() if country else None, secretariat=secretariat,
                              password=password, authority_name=authority_name, admin=admin and not secretariat)
    except AccountError as refusal:
        raise click.ClickException(str(refusal)) from None
    scope = "any country (secretariat)" if account.secretariat else account.country
    note = "" if password else (" It has no password: it can use API tokens but cannot sign in to the console "
                                f"(`registry account set-password {account.email}` gives it one).")
    click.echo(f"Account {account.email} added for {scope}, publishing as \"{account.authority_name}\".{note}", err=True)


@account_group.command("list")
@with_appcontext
def account_list():
    """List the accounts: e-mail, country (or secretariat), authority, password, disabled, created."""
    from ..accounts import all_accounts

    rows = [(account.email, "secretariat" if account.secretariat else account.country, account.authority_name,
             "yes" if account.password_hash else "no", "yes" if account.disabled else "no", _when(account.created_at))
            for account in all_accounts()]
    _echo_table(("E-MAIL", "COUNTRY", "AUTHORITY", "PASSWORD", "DISABLED", "CREATED (UTC)"), rows)


@account_group.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from standard input.")
@with_appcontext
def account_set_password(email, password_stdin):
    """Give an account a new password; every console session of the account ends."""
    from ..accounts import AccountError, set_password

    account = _find_account(email)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    else:
        raise click.ClickException("There is no terminal to ask for the password: pipe it with --password-stdin.")
    try:
        ended = set_password(account.id, password)
    except AccountError as refusal:
        raise click.ClickException(str(refusal)) from None
    click.echo(f"The password of {account.email} is changed; {ended} console session(s) signed out.", err=True)


@account_group.command("disable")
@click.argument("email")
@with_appcontext
def account_disable(email):
    """Disable an account: it can no longer sign in, its sessions end, its API tokens stop working."""
    from ..accounts import set_disabled

    account = _find_account(email)
    ended = set_disabled(account.id, True)
    click.echo(f"Account {account.email} is disabled: {ended} console session(s) signed out, its API tokens refused. "
               f"`registry account enable {account.email}` undoes it.", err=True)


@account_group.command("enable")
@click.argument("email")
@with_appcontext
def account_enable(email):
    """Enable a disabled account again (its tokens that are neither revoked nor expired work again)."""
    from ..accounts import set_disabled

    account = _find_account(email)
    set_disabled(account.id, False)
    click.echo(f"Account {account.email} is enabled.", err=True)


@click.group("token")
def token_group():
    """API tokens."""


@token_group.command("add")
@click.argument("email")
@click.option("--name", default="api", show_default=True, help="A label to recognise the token by.")
@click.option("--expires", metavar="WHEN", help="When the token stops working: 90d, 12h, a date (2027-01-31, at 00:00 UTC) "
                                                "or a moment (2027-01-31T12:00:00Z). Without it, when it is revoked.")
@with_appcontext
def token_add(email, name, expires):
    """Print a new API token for the account (shown once, stored hashed)."""
    from ..accounts import AccountError, add_token, parse_expiry

    account = _find_account(email)
    try:
        expires_at = parse_expiry(expires) if expires is not None else None
    except AccountError as refusal:
        raise click.BadParameter(str(refusal), param_hint="--expires") from None
    row, token = add_token(account, name, expires_at=expires_at)
    until = f", expires {_when(expires_at)} UTC" if expires_at else ""
    click.echo(f"Token {row.id} ({row.name}) for {account.email}{until}; it is shown only now:", err=True)
    click.echo(token)


@token_group.command("list")
@click.argument("email", required=False)
@with_appcontext
def token_list(email):
    """List the API tokens (of one account): number, account, name, created, last used, expires, state."""
    from ..accounts import token_state, tokens
    from ..db import utcnow

    account = _find_account(email) if email else None
    now = utcnow()
    rows = [(row.id, row.account.email, row.name, _when(row.created_at), _when(row.last_used_at), _when(row.expires_at),
             token_state(row, now=now)) for row in tokens(account)]
    _echo_table(("NUMBER", "ACCOUNT", "NAME", "CREATED (UTC)", "LAST USED", "EXPIRES", "STATE"), rows)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def token_revoke(token_id):
    """Revoke an API token by its number."""
    from ..accounts import AccountError, revoke_token

    try:
        row = revoke_token(token_id)
    except AccountError as refusal:
        raise click.ClickException(str(refusal)) from None
    click.echo(f"Token {row.id} ({row.name}) is revoked.", err=True)


@click.command("verify")
@with_appcontext
def verify_command():
    """Recompute the hash chain; exit 1 and name the first bad version if it is broken."""
    from .. import chain, history

    count = 0

    def walk():
        nonlocal count
        for row in history.all_versions():
            count += 1
            yield history.chain_fields(row)

    broken = chain.first_break(walk())
    if broken:
        seq, reason = broken
        row = history.changes_after(seq - 1, 1)[0]
        click.echo(f"The chain is broken at seq {seq} ({row.country} {row.section} version {row.version}): {reason}.", err=True)
        sys.exit(1)
    click.echo(f"The chain verifies: {count} versions.", err=True)


@click.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="Export the state at the end of that UTC day.")
@with_appcontext
def export_command(directory, as_of):
    """Write the bundle's files (as in registry.zip) into DIRECTORY, in one consistent read."""
    from ..db import read_snapshot
    from ..exports import bundle, files

    try:
        day = files.parse_as_of(as_of) if as_of is not None else None
    except files.ExportError as refusal:
        raise click.BadParameter(str(refusal), param_hint="--as-of") from None
    with read_snapshot():
        state = files.read_state(day)
        with click.progressbar(length=state.last_seq, label="Exporting versions", file=sys.stderr) as bar:
            counts = bundle.write_bundle(directory, state, progress=bar.update)
    when = f"as of the end of {day} (UTC)" if day else "now"
    click.echo(f"Exported {counts['versions']} versions and {counts['confirmations']} confirmations, the registry {when} "
               f"(last seq {state.last_seq}), into {directory}.", err=True)


@click.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--public-key", "public_key", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The PEM public key that signed the bundle (default: this registry's own key).")
@click.option("--unsigned", is_flag=True, help="Restore a bundle that has no SHA256SUMS.sig, trusting its checksums alone.")
@with_appcontext
def restore_command(directory, public_key, unsigned):
    """Rebuild an empty database from an export bundle, once its checksums, hash chain and signature verify."""
    from .. import publishing
    from ..db import analyse
    from ..exports import files, restore

    click.echo(f"Checking {directory}: SHA256SUMS, the hash chain, metadata.json, the signature…", err=True)
    try:
        bundle = restore.read_bundle(directory, public_key=public_key.read_bytes() if public_key else None, unsigned=unsigned)
    except files.ExportError as refusal:
        raise click.ClickException(f"Not restoring, the database is untouched: {refusal}") from None
    prepare_database()
    try:
        count = publishing.restore(bundle.versions(), bundle.confirmations(), demo_note=bundle.demo_note)
    except publishing.PublishingError as refusal:
        raise click.ClickException(f"Not restoring, the database is untouched: {refusal.message}") from None
    click.echo("Gathering the query planner's statistics…", err=True)
    analyse()
    click.echo(f"Restored {count} versions (last seq {bundle.metadata['last_seq']}, hash {bundle.metadata['hash']}).", err=True)


@click.command("keys")
@with_appcontext
def keys_command():
    """Print where the key that signs the bundles is, and its public key (made now if there is none)."""
    from ..exports import signing

    public = signing.public_key_pem().decode("ascii")
    click.echo(f"Bundles are signed with the Ed25519 key in {signing.key_path()}; keep it with the database's backups.", err=True)
    click.echo(f"Its public key, also served at {signing.PUBLIC_KEY_PATH}:", err=True)
    click.echo(public, nl=False)
