"""The report of ``spbpe verify``: counts per check and the first differing lines.

>>> VerifyReport(model="m.model", reference_model="m.model").ok
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

__all__ = ["Difference", "VerifyReport"]


@dataclass
class Difference:
    """One check that differs on one line."""

    source: str  # file name, or "adversarial" / "input"
    line_no: int  # 1-based line (or record) number in the source
    text: str  # the line (repr() when it is not valid UTF-8)
    checks: List[str]  # the checks that differ on this line (the first one is shown)
    position: int  # first differing index: token for lists, character for strings
    char_offset: Optional[int]  # where that token starts in the line, when known
    ours: Any  # spbpe's output (pieces for ids/pieces, to show both sequences)
    theirs: Any  # the official library's output

    def describe(self, width: int = 160) -> str:
        where = f"{self.source}:{self.line_no}"
        check = self.checks[0]
        at = f"token {self.position}" if check not in ("decode", "normalize") else f"char {self.position}"
        if self.char_offset is not None:
            at += f" (char {self.char_offset} of the line)"
        return (
            f"{where} [{', '.join(self.checks)}] first difference at {at}\n"
            f"  line:   {_clip(repr(self.text), width)}\n"
            f"  spbpe:  {_clip(_show(self.ours), width)}\n"
            f"  spm:    {_clip(_show(self.theirs), width)}"
        )


def _clip(s: str, width: int) -> str:
    return s if len(s) <= width else s[: width - 3] + "..."


def _show(x: Any) -> str:
    if isinstance(x, list):
        return " ".join(str(t) if not isinstance(t, tuple) else f"{t[0]}-{t[1]}" for t in x)
    return repr(x)


@dataclass
class VerifyReport:
    """Counts per check and the first differences; ``ok`` when nothing differs."""

    model: str
    reference_model: str
    lines: int = 0
    chars: int = 0
    differing_lines: int = 0
    checked: Dict[str, int] = field(default_factory=dict)
    differences: Dict[str, int] = field(default_factory=dict)
    sources: Dict[str, int] = field(default_factory=dict)
    examples: List[Difference] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.differing_lines == 0

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        d["ok"] = self.ok
        return d

    def format_table(self) -> str:
        ref = "" if self.reference_model == self.model else f" against reference {self.reference_model}"
        out = [
            f"spbpe verify: {self.model}{ref}",
            f"{self.lines:,} lines ({self.chars:,} chars) from {len(self.sources)} source(s) in {self.seconds:.1f} s",
            "",
            f"{'check':<10} {'lines':>10} {'differ':>8}",
        ]
        for c, n in self.checked.items():
            out.append(f"{c:<10} {n:>10,} {self.differences.get(c, 0):>8,}")
        out.append(f"{'any':<10} {self.lines:>10,} {self.differing_lines:>8,}")
        out.append("")
        out.append("OK: no differences" if self.ok else f"DIFFERENT: {self.differing_lines:,} line(s) differ")
        return "\n".join(out)
