"""Every word a trainer or a learner reads, in English and Chinese, from one catalogue.

The catalogue is a set of YAML files in ``messages/``, one per area (KPIs, reports, the
dashboard …); each entry is a key with its ``en`` and ``zh`` text, written once. Pages,
plots, the dashboard and the command line ask for a key in a language and never hold the
words themselves, so a label changes in one place and both languages stay in step.
"""

from sim.i18n.catalogue import (
    DEFAULT_LANG,
    LANGS,
    Catalogue,
    Entry,
    catalogue,
    check_lang,
    text,
)

__all__ = ["DEFAULT_LANG", "LANGS", "Catalogue", "Entry", "catalogue", "check_lang", "text"]
