"""The parameter registry as Markdown tables, one per group: the source of docs/model.md's
Appendix A (``neocloud-abm params --format markdown``), so the appendix cannot drift from
the code (a test compares them)."""

from __future__ import annotations

from neocloud_abm.parameters.registry import GROUPS, PARAMETERS
from neocloud_abm.parameters.spec import Spec

HEADER = ("| parameter | default | unit | bounds | plausible | source | meaning |\n"
          "|---|---|---|---|---|---|---|")


def _text(value: str) -> str:
    """Markdown-safe cell text: a literal dollar sign (not maths) and no column breaks."""
    return value.replace("$", "\\$").replace("|", "\\|")


def plausible_text(spec: Spec) -> str:
    """The plausible range as printed in tables ('' if the parameter has none)."""
    return f"[{spec.plausible[0]:g}, {spec.plausible[1]:g}]" if spec.plausible else ""


def _default(spec: Spec) -> str:
    if spec.kind == "bool":
        return "true" if spec.default else "false"
    if spec.kind == "path":
        return "see [6.2](#62-the-base-rate-path)"
    return f"{spec.default:g}" if spec.kind == "float" else str(spec.default)


def _bounds(spec: Spec) -> str:
    if spec.kind == "bool":
        return "true/false"
    if spec.kind == "month":
        return "YYYY-MM"
    if spec.kind == "str":
        return ", ".join(spec.choices)
    bounds = f"[{spec.low:g}, {spec.high:g}]"
    return f"{bounds} per knot" if spec.kind == "path" else bounds


def registry_markdown(only: str | None = None) -> str:
    """Every parameter (of group ``only``, if given), grouped: default, unit, bounds,
    plausible range, source, meaning; a dagger marks the set-up-only ones."""
    parts = []
    for group in GROUPS:
        if only and group != only:
            continue
        rows = [f"**{group}**", "", HEADER]
        for name, spec in PARAMETERS.items():
            if name.partition(".")[0] != group:
                continue
            cells = (f"`{name}`" + (" †" if spec.setup_only else ""), _default(spec),
                     _text(spec.unit), _bounds(spec), plausible_text(spec), _text(spec.source),
                     _text(spec.doc))
            rows.append("| " + " | ".join(cells) + " |")
        parts.append("\n".join(rows))
    return "\n\n".join(parts) + "\n"
