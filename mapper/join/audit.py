"""Audited joins between coverage, boundaries, lookups and classifications.

Every join goes through :func:`audited_merge`, which records how many keys
matched on each side and which did not, in an :class:`Audit` that the pipeline
writes to ``outputs/audit.json``. A join whose *required* side has more
unmatched keys than ``joins.max_unmatched`` stops the run with a
:class:`~mapper.errors.JoinError` naming the keys. Nothing is dropped silently:
rows left out on purpose (e.g. constituencies outside the Midlands) are counted
in the report with the reason.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import pandas as pd

from ..errors import JoinError


@dataclass
class JoinReport:
    name: str
    left: str
    right: str
    left_keys: int
    right_keys: int
    matched: int
    unmatched_left: list[str]
    unmatched_right: list[str]
    required: str
    note: str = ""

    def as_dict(self) -> dict:
        d = asdict(self)
        d["unmatched_left_count"] = len(self.unmatched_left)
        d["unmatched_right_count"] = len(self.unmatched_right)
        d["unmatched_left"] = self.unmatched_left[:50]
        d["unmatched_right"] = self.unmatched_right[:50]
        return d


@dataclass
class Audit:
    """Join reports and other run facts, in the order they happened."""

    joins: list[JoinReport] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    inputs: dict = field(default_factory=dict)
    totals: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "joins": [j.as_dict() for j in self.joins],
            "notes": list(self.notes),
            "inputs": self.inputs,
            "totals": self.totals,
        }


def audited_merge(
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    left_on: str,
    right_on: str,
    name: str,
    left_label: str,
    right_label: str,
    audit: Audit,
    required: str = "both",
    max_unmatched: int = 0,
    note: str = "",
) -> pd.DataFrame:
    """Left-join ``right`` onto ``left`` and record the match in ``audit``.

    ``required`` says which side's keys must all find a partner: ``"left"``,
    ``"right"``, ``"both"`` or ``"none"``. Returns a new frame; inputs are not
    changed. Raises :class:`JoinError` if a required side has more than
    ``max_unmatched`` unmatched keys.
    """
    lk = pd.Index(left[left_on].dropna().astype(str).unique())
    rk = pd.Index(right[right_on].dropna().astype(str).unique())
    unmatched_left = sorted(lk.difference(rk))
    unmatched_right = sorted(rk.difference(lk))
    report = JoinReport(
        name=name, left=left_label, right=right_label, left_keys=len(lk), right_keys=len(rk),
        matched=len(lk.intersection(rk)), unmatched_left=unmatched_left, unmatched_right=unmatched_right,
        required=required, note=note,
    )
    audit.joins.append(report)
    failures = []
    if required in ("left", "both") and len(unmatched_left) > max_unmatched:
        failures.append(f"{len(unmatched_left)} of {len(lk)} {left_label} key(s) have no match in {right_label}: "
                        f"{unmatched_left[:8]}")
    if required in ("right", "both") and len(unmatched_right) > max_unmatched:
        failures.append(f"{len(unmatched_right)} of {len(rk)} {right_label} key(s) have no match in {left_label}: "
                        f"{unmatched_right[:8]}")
    if failures:
        raise JoinError(
            f"join '{name}': " + "; ".join(failures)
            + ". Check that both files use the same geography and boundary year (see outputs/audit.json)"
        )
    right = right.rename(columns={right_on: left_on}) if right_on != left_on else right
    return left.merge(right, how="left", on=left_on, validate="many_to_one")


def normalise_name(name: str) -> str:
    """Key for matching area names across releases ('ABERAVON' vs 'Aberavon', '&' vs 'and')."""
    text = str(name).casefold().replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def resolve_codes_by_name(coverage: pd.DataFrame, boundaries: pd.DataFrame, *, audit: Audit, label: str) -> pd.DataFrame:
    """Fill ``code`` from boundary names for releases that carry names only (Ofcom 2019).

    Names that match no boundary keep a missing code and are listed in the audit.
    """
    lookup = {normalise_name(n): c for c, n in zip(boundaries["code"], boundaries["name"])}
    out = coverage.copy()
    keys = out["name"].map(normalise_name)
    out["code"] = keys.map(lookup).astype("string")
    matched = int(out["code"].notna().sum())
    audit.joins.append(JoinReport(
        name=f"{label}: codes from names", left=label, right="boundary names", left_keys=len(out),
        right_keys=len(lookup), matched=matched,
        unmatched_left=sorted(out.loc[out["code"].isna(), "name"].astype(str))[:50],
        unmatched_right=sorted(set(lookup.values()) - set(out["code"].dropna())),
        required="right",
        note="release has constituency names but no codes; matched on normalised names",
    ))
    return out
