"""The registry's signature on its bundles: Ed25519 over SHA256SUMS (docs/exports.md, "Signature").

The hash chain proves the versions; SHA256SUMS proves every file against its sum; the
signature proves SHA256SUMS came from this registry, so that nobody can change a file
the chain does not cover (confirmations.csv, metadata.json) and recompute the sums.
The private key is a PEM file (REGISTRY_SIGNING_KEY, by default `signing-key.pem` in the
instance folder), made on first use; the public key is served at PUBLIC_KEY_PATH.
"""
import base64
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

SIGNATURE_FILE = "SHA256SUMS.sig"
PUBLIC_KEY_PATH = "/.well-known/registry-signing-key.pem"


class SignatureError(ValueError):
    """A signature that is missing, malformed or made with another key."""


def key_path() -> Path:
    return Path(current_app.config.get("REGISTRY_SIGNING_KEY") or Path(current_app.instance_path) / "signing-key.pem")


def private_key() -> Ed25519PrivateKey:
    """The registry's signing key, made now (readable by its owner only) if there is none yet."""
    path = key_path()
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        try:
            # O_EXCL: when two workers race, the first key is the registry's key.
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(handle, "wb") as stream:
                stream.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(f"{path} holds no Ed25519 private key.")
    return key


def public_key_pem() -> bytes:
    """The public half of the registry's key, as PEM: what a researcher checks a bundle with."""
    return private_key().public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def sign(sums: bytes) -> bytes:
    """The content of SHA256SUMS.sig: the Ed25519 signature of SHA256SUMS, in base64, on one line."""
    return base64.b64encode(private_key().sign(sums)) + b"\n"


def verify(sums: bytes, signature: bytes, public_pem: bytes) -> None:
    """SignatureError unless `signature` (SHA256SUMS.sig) signs `sums` with the key in `public_pem`."""
    try:
        key = serialization.load_pem_public_key(public_pem)
    except ValueError:
        raise SignatureError("The public key is not a PEM public key.") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SignatureError("The public key is not an Ed25519 key.")
    try:
        key.verify(base64.b64decode(signature.strip(), validate=True), sums)
    except (InvalidSignature, ValueError):
        raise SignatureError(f"{SIGNATURE_FILE} does not verify with this public key: SHA256SUMS was altered "
                             "or the bundle was signed by another registry.") from None
