"""Public data the build needs, fetched at run time or read from a local path.

The reference build downloads the LDNOOBW English list (pinned commit), NLTK's Punkt model and,
for `realnewslike`, grover's domain list. Each can be given as a local path instead (`--badwords
FILE`, `--punkt DIR`, `--realnews-domains FILE`), which is what tests and offline machines do.
Everything is resolved once on the launching machine and shipped to workers by value: workers
never see a local path.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile

from c4forge.corpus.badwords import (
    BADWORDS_LANGS,
    BADWORDS_SHA256,
    EN_BADWORDS_SHA256,
    EN_BADWORDS_URL,
    badwords_url,
    merge_badwords,
    parse_badwords,
)
from c4forge.corpus.sentences import PUNKT_SUBDIR, PUNKT_TABLES, read_punkt_tables

PUNKT_TAB_URL = (
    "https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/packages/tokenizers/punkt_tab.zip"
)
# sha256 of the English tables in nltk_data's punkt_tab package: checked when fetched.
PUNKT_TABLE_SHA256 = {
    "abbrev_types.txt": "92a3e070f43d9b4c5534758ca40ad7343b04e7e29bfe0c2eb658a39445a4f779",
    "collocations.tab": "8e2da1225e4dd2cc9dba261ee231ccb134859e21b46006e7f472c5ee269af0cf",
    "ortho_context.tab": "4bbcca25ed3d3f06c02402abf8419b9f033b8adc06e7b482eca4e45f81a5dc4c",
    "sent_starters.txt": "f3f8535483e1dba487241b764945168123bca3209a9645e59acd1225dc76edac",
}
REALNEWS_DOMAINS_URL = (
    "https://raw.githubusercontent.com/rowanz/grover/"
    "38f7184bd87237ae2d3bc330b99f1e2e246f6d51/realnews/domain_to_allowed_subdomains.json"
)


class ResourceError(ValueError):
    """A public resource could not be read, fetched or verified."""


def _read_url(url: str) -> bytes:
    from c4forge.pipelines.downloads import read_all

    try:
        return read_all(url)
    except Exception as e:  # network errors come in many types; one line for the user
        raise ResourceError(f"cannot fetch {url}: {e}") from None


def _read_path(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ResourceError(f"cannot read the {what} file {path!r}: {e.strerror}") from None


def load_badwords(path: str | None) -> list[str]:
    """The English badwords: from `path`, else fetched from the pinned commit (sha256-checked).

    A local file is used as given (its sha256 is recorded in the run's config, not enforced).
    """
    if path:
        data = _read_path(path, "badwords")
        checksum = None
    else:
        data = _read_url(EN_BADWORDS_URL)
        checksum = EN_BADWORDS_SHA256
    try:
        return parse_badwords(data, checksum)
    except ValueError as e:
        raise ResourceError(str(e)) from None


def load_badwords_lists(
    en_path: str | None,
    badwords_dir: str | None,
    languages: list[str] | None = None,
    allowlist: bool = False,
) -> dict[str, list[str]]:
    """mC4's per-language lists (`corpus.badwords.merge_badwords`): English from `en_path` (else
    fetched at 25e679f), every other list file of the reference from `badwords_dir/<name>`
    (else fetched at 5faf2ba), sha256-checked when fetched. `languages`: only the lists these
    languages use (by code before "-"); None: all."""
    wanted = None if languages is None else {lang.split("-")[0] for lang in languages}
    names = [n for n in BADWORDS_LANGS if wanted is None or n.split("-")[0] in wanted]
    files: dict[str, list[str]] = {}
    missing = []
    for name in names:
        if name == "en":
            files[name] = load_badwords(en_path)
            continue
        if badwords_dir:
            path = os.path.join(badwords_dir, name)
            if not os.path.isfile(path):
                missing.append(name)
                continue
            data, checksum = _read_path(path, "badwords"), None
        else:
            data, checksum = _read_url(badwords_url(name)), BADWORDS_SHA256[name]
        try:
            files[name] = parse_badwords(data, checksum)
        except ValueError as e:
            raise ResourceError(f"badwords list {name!r}: {e}") from None
    if missing:
        raise ResourceError(
            f"--badwords-dir {badwords_dir!r} lacks the LDNOOBW list files {', '.join(missing)} "
            "(the reference reads them at commit 5faf2ba)"
        )
    return merge_badwords(files, allowlist)


def load_punkt_tables(nltk_data_dir: str | None) -> dict[str, str]:
    """English punkt_tab tables: from an NLTK data directory, else from `$NLTK_DATA` / NLTK's
    search path, else fetched (the punkt_tab package zip)."""
    if nltk_data_dir:
        try:
            return read_punkt_tables(nltk_data_dir)
        except FileNotFoundError as e:
            raise ResourceError(str(e)) from None
    for candidate in _nltk_search_path():
        if os.path.isfile(os.path.join(candidate, PUNKT_SUBDIR, "sent_starters.txt")):
            return read_punkt_tables(candidate)
    data = _read_url(PUNKT_TAB_URL)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            raw = {name: z.read(f"punkt_tab/english/{name}") for name in PUNKT_TABLES}
    except (zipfile.BadZipFile, KeyError) as e:
        raise ResourceError(f"{PUNKT_TAB_URL} is not the punkt_tab package: {e}") from None
    for name, content in raw.items():
        if hashlib.sha256(content).hexdigest() != PUNKT_TABLE_SHA256[name]:
            raise ResourceError(f"{PUNKT_TAB_URL}: english/{name} does not match its sha256")
    return {name: content.decode("utf-8") for name, content in raw.items()}


def _nltk_search_path() -> list[str]:
    paths = [p for p in os.environ.get("NLTK_DATA", "").split(os.pathsep) if p]
    try:
        import nltk.data

        paths += [p for p in nltk.data.path if isinstance(p, str)]
    except ImportError:
        pass
    return paths


def load_realnews_domains(path: str | None) -> dict:
    data = _read_path(path, "RealNews domains") if path else _read_url(REALNEWS_DOMAINS_URL)
    try:
        domains = json.loads(data)
    except ValueError as e:
        raise ResourceError(f"the RealNews domain list is not JSON: {e}") from None
    if not isinstance(domains, dict) or not domains:
        raise ResourceError("the RealNews domain list must be a non-empty JSON object")
    return domains
