"""nbval plugin (loaded with `-p tests.nbval_numbers`): sanitise JSON outputs too, not only strings.

nbval applies the regexes of tests/nbval_sanitize.cfg to string outputs only, so a claim record
(``application/vnd.relulab.claim+json``, a JSON object) would be compared digit by digit.  Its roundoff-level numbers
(an error of 1.8e-15 on one CPU is 1.3e-15 on another: different SIMD widths sum in different orders) are not
reproducible across machines, while everything else in it is.  This plugin serialises JSON outputs (sorted keys) before
nbval sanitises them, so the same regexes apply to records and to printed text alike.  It patches nbval's
``IPyNbCell.sanitize`` (nbval is pinned in constraints.txt): if a new nbval renames it, loading this plugin fails
loudly instead of comparing unsanitised records.
"""

from __future__ import annotations

import json

from nbval.plugin import IPyNbCell

_sanitize_str = IPyNbCell.sanitize


def _sanitize(self: IPyNbCell, s: object) -> object:
    """Serialise dicts and lists to JSON text, then apply nbval's own string sanitiser."""
    if isinstance(s, (dict, list)):
        s = json.dumps(s, sort_keys=True, ensure_ascii=False)
    return _sanitize_str(self, s)


IPyNbCell.sanitize = _sanitize
