"""WACZ (Web Archive Collection Zipped, 1.1.1): WARC files packed for others to replay and verify.

A WACZ is a ZIP holding ``archive/`` (the WARC files, stored as they are), ``indexes/index.cdxj``
(cdxj-indexer, as the folder's own index), ``pages/pages.jsonl`` (one entry per article capture:
URL, title, time), ``datapackage.json`` (every file's SHA-256 and size, Frictionless Data
Package) and ``datapackage-digest.json`` (the SHA-256 of ``datapackage.json``, signed).

The signature is the WACZ Signing spec's anonymous form as ArchiveWeb.page writes it and
ReplayWeb.page checks it: ECDSA on P-384 with SHA-256 over the digest string, the signature
raw (r‖s) and the public key SPKI DER, both base64. The key is generated once and kept beside
the archive; whoever holds its public key (published out of band) can verify every package.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Artikel-Erfassungen"}
_CURVE = ec.SECP384R1()
_COORDINATE = 48  # bytes of r and of s on P-384


@dataclass(frozen=True)
class Page:
    """One entry of ``pages.jsonl``: an article capture a replay tool lists."""

    url: str
    title: str
    captured_at: str  # ISO 8601 UTC

    def to_json(self) -> dict[str, str]:
        stamp = dt.datetime.fromisoformat(self.captured_at.replace("Z", "+00:00")).astimezone(dt.UTC)
        return {"url": self.url, "title": self.title, "ts": stamp.strftime("%Y-%m-%dT%H:%M:%S") + "Z"}


def load_or_create_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The signing key at ``path`` (PEM, PKCS#8), made on first use (mode 0600) with its public
    half beside it (``path`` + ``.pub``, the base64 SPKI a verifier compares with)."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != _CURVE.name:
            raise ValueError(f"{path} is not an ECDSA P-384 key")
        return key
    key = ec.generate_private_key(_CURVE)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    path.with_name(path.name + ".pub").write_text(public_key_b64(key) + "\n")
    return key


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """The public key as the WACZ ``publicKey``: SPKI DER, base64."""
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(spki).decode()


def sign_digest(key: ec.EllipticCurvePrivateKey, digest: str, software: str) -> dict[str, str]:
    """The anonymous ``signedData`` of ``digest`` ("sha256:…")."""
    r, s = decode_dss_signature(key.sign(digest.encode(), ec.ECDSA(hashes.SHA256())))
    raw = r.to_bytes(_COORDINATE, "big") + s.to_bytes(_COORDINATE, "big")
    return {
        "hash": digest,
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "software": software,
        "signature": base64.b64encode(raw).decode(),
        "publicKey": public_key_b64(key),
    }


def verify_signed_data(signed: dict[str, str]) -> bool:
    """Whether ``signed["signature"]`` is ``signed["publicKey"]``'s signature of ``signed["hash"]``."""
    public = serialization.load_der_public_key(base64.b64decode(signed["publicKey"]))
    raw = base64.b64decode(signed["signature"])
    if not isinstance(public, ec.EllipticCurvePublicKey) or len(raw) != 2 * _COORDINATE:
        return False
    der = encode_dss_signature(int.from_bytes(raw[:_COORDINATE], "big"), int.from_bytes(raw[_COORDINATE:], "big"))
    try:
        public.verify(der, signed["hash"].encode(), ec.ECDSA(hashes.SHA256()))
    except Exception:  # cryptography's InvalidSignature, or a key of another curve
        return False
    return True


def write_wacz(
    target: Path,
    warc_files: list[Path],
    pages: Iterable[Page],
    *,
    software: str,
    title: str,
    key: ec.EllipticCurvePrivateKey | None = None,
) -> Path:
    """Pack ``warc_files`` (names must differ) and ``pages`` into the WACZ ``target``, written to
    a temporary name and renamed; signed with ``key`` when given."""
    from cdxj_indexer.main import write_cdx_index

    names = [p.name for p in warc_files]
    if len(set(names)) != len(names):
        raise ValueError("two WARC files of the same name cannot share a WACZ's archive/")
    resources: list[dict[str, Any]] = []
    partial = target.with_name(f".{target.name}.partial")
    with tempfile.TemporaryDirectory() as scratch, zipfile.ZipFile(partial, "w") as wacz:
        index = Path(scratch) / "index.cdxj"
        inputs = [str(p) for p in warc_files]
        if inputs:
            options = {"sort": True, "post_append": True, "records": "response,revisit,resource"}
            write_cdx_index(str(index), inputs, options)
        else:
            index.write_text("")
        # Every member stored, as the WACZ spec recommends and ReplayWeb.page reads best (the WARC
        # files are gzip already; the index and pages are small).
        for path in warc_files:
            resources.append(_add_file(wacz, f"archive/{path.name}", path, zipfile.ZIP_STORED))
        resources.append(_add_file(wacz, "indexes/index.cdxj", index, zipfile.ZIP_STORED))
        lines = [json.dumps(PAGES_HEADER)] + [json.dumps(p.to_json(), ensure_ascii=False) for p in pages]
        pages_file = Path(scratch) / "pages.jsonl"
        pages_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        resources.append(_add_file(wacz, "pages/pages.jsonl", pages_file, zipfile.ZIP_STORED))
        package = {
            "profile": "data-package",
            "resources": resources,
            "wacz_version": WACZ_VERSION,
            "title": title,
            "software": software,
            "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode()
        wacz.writestr("datapackage.json", package_bytes, zipfile.ZIP_STORED)
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}
        if key is not None:
            digest["signedData"] = sign_digest(key, digest["hash"], software)  # type: ignore[assignment]
        wacz.writestr("datapackage-digest.json", json.dumps(digest, indent=2), zipfile.ZIP_STORED)
    os.replace(partial, target)
    return target


def _add_file(wacz: zipfile.ZipFile, name: str, path: Path, compression: int) -> dict[str, Any]:
    """Copy ``path`` into the ZIP as ``name``: its datapackage resource (SHA-256 while copying)."""
    digest = hashlib.sha256()
    size = 0
    info = zipfile.ZipInfo.from_file(path, name)
    info.compress_type = compression
    # No forced ZIP64 (zipfile adds it to a member over 2 GiB by itself): ReplayWeb.page reads
    # sizes from the local header and misread every member after a ZIP64 one.
    with open(path, "rb") as source, wacz.open(info, "w") as member:
        while block := source.read(1 << 20):
            digest.update(block)
            size += len(block)
            member.write(block)
    return {
        "name": name.rsplit("/", 1)[-1].lower(),
        "path": name,
        "hash": "sha256:" + digest.hexdigest(),
        "bytes": size,
    }
