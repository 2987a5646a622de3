"""Keyed pseudonymization: direct identifiers replaced by HMAC-SHA256 pseudonyms, the key from the
environment (never from the repository), so that linkage works without names or RRNs."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import polars as pl

DEFAULT_KEY_ENV = "TALENTLIB_PSEUDONYM_KEY"
# A short key makes pseudonyms of small identifier spaces (RRNs, phone numbers) guessable.
MIN_KEY_CHARS = 16
_DOMAIN_SEP = "\x1f"


class PseudonymizationKeyError(RuntimeError):
    """The pseudonymization key is missing or too weak; the message says how to set one."""


def _key_help(key_env: str) -> str:
    return (
        f"Set the secret pseudonymization key in the environment variable {key_env} "
        f"(at least {MIN_KEY_CHARS} characters), e.g.\n"
        f'    export {key_env}=$(python -c "import secrets; print(secrets.token_hex(32))")\n'
        "Keep it outside the repository and use the same key for every run whose pseudonyms "
        "must link; there is no default key."
    )


def _load_key(key_env: str) -> bytes:
    key = os.environ.get(key_env, "")
    if not key:
        raise PseudonymizationKeyError(f"{key_env} is not set or empty. " + _key_help(key_env))
    if len(key) < MIN_KEY_CHARS:
        raise PseudonymizationKeyError(
            f"{key_env} is shorter than {MIN_KEY_CHARS} characters. " + _key_help(key_env)
        )
    return key.encode("utf-8")


def _hmac_sha256_hex(key: bytes, messages: list[str]) -> list[str]:
    """HMAC-SHA256 (RFC 2104) of many messages; reusing the padded-key states is ~2.5x hmac.new."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner0 = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer0 = hashlib.sha256(bytes(b ^ 0x5C for b in key))
    out = []
    for m in messages:
        inner = inner0.copy()
        inner.update(m.encode("utf-8"))
        outer = outer0.copy()
        outer.update(inner.digest())
        out.append(outer.hexdigest())
    return out


def _as_identifier_strings(values: pl.Series) -> pl.Series:
    dt = values.dtype
    if dt == pl.String:
        return values
    if isinstance(dt, (pl.Categorical, pl.Enum)) or dt.is_integer():
        return values.cast(pl.String)
    raise TypeError(
        f"pseudonymize: column {values.name!r} has dtype {dt}; identifiers must be strings or "
        "integers (cast them explicitly so that the same id always has the same text)."
    )


def pseudonymize(
    values: pl.Series,
    *,
    domain: str,
    key_env: str = DEFAULT_KEY_ENV,
    length: int = 16,
) -> pl.Series:
    """Replace identifiers by HMAC-SHA256(key, f"{domain}\\x1f{value}") as lowercase hex.

    The domain keeps person ids and employer ids apart; nulls stay null; integers are hashed as
    their decimal text. The key comes from ``key_env`` and there is no default.
    """
    if not isinstance(length, int) or not 16 <= length <= 64:
        raise ValueError(f"length must be an integer between 16 and 64, got {length!r}")
    if not domain or _DOMAIN_SEP in domain:
        raise ValueError("domain must be a non-empty string without the \\x1f separator")
    key = _load_key(key_env)
    text = _as_identifier_strings(values)
    uniques = text.drop_nulls().unique()
    digests = _hmac_sha256_hex(key, [f"{domain}{_DOMAIN_SEP}{v}" for v in uniques.to_list()])
    mapping = pl.DataFrame(
        {"__value": uniques, "__pseudonym": [d[:length] for d in digests]},
        schema={"__value": pl.String, "__pseudonym": pl.String},
    )
    out = (
        text.rename("__value")
        .to_frame()
        .join(mapping, on="__value", how="left", maintain_order="left")
        .get_column("__pseudonym")
    )
    return out.rename(values.name)


def pseudonymize_frame(df: pl.DataFrame, columns: dict[str, str], **kw: Any) -> pl.DataFrame:
    """Pseudonymize several columns at once, ``columns`` mapping column name → domain."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"pseudonymize_frame: column(s) not in frame: {', '.join(missing)}")
    return df.with_columns(
        pseudonymize(df.get_column(c), domain=d, **kw) for c, d in columns.items()
    )
