"""URL normalisation, the md5-based split and the RealNews domain rule (docs/C4.md §3, §8).

`normalize_url` reproduces the reference's unanchored regexes: every "http(s)://(www.)" is
removed, even inside a query, and the URL is cut at the first "?utm_", "?ref" or "?feed".
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping

from c4forge.corpus.layout import language_split
from c4forge.corpus.page import Page
from c4forge.corpus.verdict import Reason, Verdict, drop, keep

_SCHEME_RE = re.compile(r"https?:\/\/(www\.)?")
_TRACKING_RE = re.compile(r"\?(utm_|ref|feed).*")

VALIDATION_MODULUS = 1000  # md5(normalized URL) % 1000 == 0 -> validation (0.1%)


def normalize_url(url: str) -> str:
    url = _SCHEME_RE.sub("", url)
    url = _TRACKING_RE.sub("", url)
    return url.rstrip("/")


def md5_hex(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def url_hash_int(normalized_url: str) -> int:
    """md5 of the normalized URL as an integer: the split and the soft badwords rule use it."""
    return int.from_bytes(hashlib.md5(normalized_url.encode("utf-8")).digest(), "big")


def split_of(normalized_url: str) -> str:
    return "validation" if url_hash_int(normalized_url) % VALIDATION_MODULUS == 0 else "train"


def language_split_of(page: Page) -> str:
    """mC4's split of a page: its language, "-validation" added on the 0.1% of URLs."""
    return language_split(page.language, split_of(page.normalized_url))


class RealnewsDomains:
    """The `realnewslike` rule: a page's registered domain must be listed, and when the list
    names subdomains, its subdomain must be one of them (grover's domain_to_allowed_subdomains).

    `extract` splits a host into (subdomain, domain, suffix); the reference uses tldextract.
    """

    def __init__(self, allowed: Mapping[str, bool | Collection[str]], extract) -> None:
        self._allowed = allowed
        self._extract = extract

    @classmethod
    def with_bundled_suffixes(cls, allowed: Mapping[str, bool | Collection[str]]):
        """The rule with tldextract's bundled public-suffix snapshot: no network access."""
        import tldextract

        return cls(allowed, tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None))

    def check(self, page: Page) -> Verdict:
        """Keeps a page of a listed domain (and subdomain), as the reference's filter does."""
        ext = self._extract(page.normalized_url)
        allowed = self._allowed.get(ext.domain + "." + ext.suffix)
        if allowed is None:
            return drop(Reason.BAD_DOMAIN)
        if isinstance(allowed, list) and ext.subdomain not in allowed:
            return drop(Reason.BAD_SUBDOMAIN)
        return keep(page)
