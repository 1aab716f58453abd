"""The canonical path and query are remembered for short inputs only (protocol/sigv4.py): a client
chooses them, signed or not, so a long one is canonicalized and let go, never kept in the cache."""

from __future__ import annotations

from iamd.protocol import sigv4


def test_a_short_query_is_remembered_and_a_long_one_is_not_but_both_are_canonical():
    short = "b=2&a=1&X-Amz-Signature=ff"
    long = "&".join(f"k{i:05d}=v" for i in range(sigv4.CACHED_LENGTH // 8 + 1))
    assert len(long) > sigv4.CACHED_LENGTH
    sigv4._canonical_query.cached.cache_clear()
    assert sigv4._canonical_query(short, drop_signature=True) == "a=1&b=2"
    assert sigv4._canonical_query(short, drop_signature=True) == "a=1&b=2"
    assert sigv4._canonical_query(long, drop_signature=False) == long  # already in order, nothing to encode
    info = sigv4._canonical_query.cached.cache_info()
    assert (info.hits, info.currsize) == (1, 1)  # the short one twice; the long one never stored


def test_long_paths_are_canonicalized_alike_and_not_kept():
    path = "/" + "a%20b/" * (sigv4.CACHED_LENGTH // 6 + 1)
    for canonicalize in (sigv4._canonical_path, sigv4._s3_path):
        canonicalize.cached.cache_clear()
        assert canonicalize(path) == canonicalize.function(path)
        assert canonicalize.cached.cache_info().currsize == 0
