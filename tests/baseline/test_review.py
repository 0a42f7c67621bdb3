"""Reviewing findings on a drifting environment, and measuring precision and recall (issue 17).

The workshop scenario drifts (simulate/drift.py): a CDN rotates inside its published ranges, a partner moves an
endpoint on day 6, a deploy on day 5 adds an API on port 8443. An allowlist learned from days 1-3 therefore
flags expected traffic on day 7: the score is measured, not perfect by construction. Reviewing the findings
with the change log and widening rules removes those false positives on a day the review has not seen.
"""

from __future__ import annotations

import pandas as pd
import pytest

from flowkit.baseline import (
    apply_review,
    explain,
    find_unexpected,
    interface_addresses,
    propose_allowlist,
    review_findings,
    score_findings,
)
from flowkit.errors import AllowlistError
from flowkit.notebooks import open_periods
from flowkit.simulate import load_scenario

PERIODS = {  # notebook 06's defaults
    "baseline": ("2026-11-02T00:00:00Z", "2026-11-05T00:00:00Z"),
    "later": ("2026-11-08T00:00:00Z", "2026-11-09T00:00:00Z"),
    "next": ("2026-11-09T00:00:00Z", "2026-11-10T00:00:00Z"),
}


@pytest.fixture(scope="module")
def week():
    periods = open_periods("local", None, periods=PERIODS, seed=7)
    baseline = periods.read("baseline")
    inventory = interface_addresses(baseline)
    vpc = [str(c) for c in load_scenario("workshop").vpc_cidrs]
    allowlist = propose_allowlist(baseline, vpc_cidrs=vpc)
    later = periods.read("later")
    return periods, allowlist, inventory, later, find_unexpected(later, allowlist, inventory=inventory)


def test_a_baseline_from_days_1_to_3_flags_expected_traffic_on_day_7(week):
    periods, allowlist, inventory, later, _ = week
    explained = explain(later, allowlist, inventory=inventory)
    score = periods.score(explained)
    records, findings = score.loc["records"], score.loc["findings"]
    assert records["false"] > 0 and 0.3 < records["precision"] < 0.9, score
    assert findings["false"] > 0 and findings["precision"] < 0.9, score
    assert records["recall"] > 0.9  # most anomalous records are still flagged
    truth = periods.truth(explained)
    false_positives = set(
        truth[explained["pattern"].notna() & truth.str.startswith("expected:").fillna(False)]
    )
    assert false_positives, "drift must produce flagged expected traffic"


def test_review_names_the_aws_service_and_the_related_rule(week):
    _, allowlist, inventory, _, unexpected = week
    review = review_findings(unexpected, allowlist, inventory=inventory)
    assert len(review) == len(unexpected)
    partner = review[review["destination"] == "54.189.44.18"].iloc[0]
    assert (partner["aws_service"], partner["aws_region"]) == ("EC2", "us-west-2")
    assert pd.notna(partner["related_rule"])  # the partner's learned rule, same source, protocol and port
    cdn = review[review["destination"].str.startswith("199.232.")]
    assert cdn["aws_service"].isna().all() and cdn["related_rule"].notna().all()  # not AWS's: no service


def test_the_reviewed_allowlist_measured_on_a_day_it_has_not_seen(week):
    periods, allowlist, inventory, _, unexpected = week
    reviewed, changes = apply_review(allowlist, unexpected, periods.decisions(None), inventory=inventory)
    assert set(changes["change"]) <= {"widened", "added"}
    assert changes["review"].str.startswith("accepted after review: ").all()
    noted = [r for r in reviewed.rules if r.review and "accepted after review" in r.review]
    assert noted and len(reviewed.rules) >= len(allowlist.rules)
    following = periods.read("next")
    explained = explain(following, reviewed, inventory=inventory)
    score = periods.score(explained)
    assert score.loc["records", "false"] == 0 and score.loc["findings", "false"] == 0, score
    assert score.loc["records", "recall"] > 0.9
    truth = periods.truth(explained)
    missed = set(truth[explained["pattern"].isna() & truth.str.startswith("anomaly:").fillna(False)])
    assert missed == {"anomaly:s3-exfiltration"}  # a bucket is not an address: flow logs cannot tell


def test_review_refuses_a_destination_that_is_no_address(week):
    _, allowlist, inventory, _, unexpected = week
    with pytest.raises(AllowlistError, match=r"'cdn\.example' is not a CIDR"):
        apply_review(allowlist, unexpected, {"cdn.example": "why"}, inventory=inventory)
    with pytest.raises(AllowlistError, match="not a CIDR"):
        apply_review(allowlist, unexpected, {"10.0.0.1/8": "host bits set"}, inventory=inventory)


def test_score_counts_records_and_findings():
    explained = pd.DataFrame({"pattern": pd.array([0, 0, 1, None, None], dtype="Int64")})
    truth = pd.Series(["anomaly:x", "anomaly:x", "expected:y", "anomaly:z", None])
    score = score_findings(explained, truth)
    assert score.loc["records", ["flagged", "true", "false", "missed"]].tolist() == [3, 2, 1, 1]
    assert (
        score.loc["records", "precision"] == pytest.approx(0.667) and score.loc["records", "recall"] == 0.667
    )
    assert score.loc["findings", "recall"] == 0.5  # x found, z not
    with pytest.raises(ValueError, match="one label per record"):
        score_findings(explained, truth.iloc[:2])
