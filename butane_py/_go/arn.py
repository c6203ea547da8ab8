"""Package ``github.com/aws/aws-sdk-go-v2/aws/arn`` of aws-sdk-go-v2 v1.41.1 (as vendored in
Butane v0.29.0): ``IsARN`` and ``Parse``, which Ignition uses for ``arn:`` resource URLs.

Go source: ``aws/arn/arn.go``.
"""

from __future__ import annotations


# ---------------------------------------------------------------------------
# github.com/aws/aws-sdk-go-v2/aws/arn
# ---------------------------------------------------------------------------


# arn.go: IsARN
def arn_is_arn(s: str) -> bool:
    """arn.IsARN."""
    return s.startswith("arn:") and s.count(":") >= 5


# arn.go: Parse
def arn_parse(s: str) -> tuple[str, str, str, str, str]:
    """arn.Parse: (partition, service, region, account_id, resource); ValueError with Go's text."""
    if not s.startswith("arn:"):
        raise ValueError("arn: invalid prefix")
    sections = s.split(":", 5)
    if len(sections) != 6:
        raise ValueError("arn: not enough sections")
    return sections[1], sections[2], sections[3], sections[4], sections[5]
