"""The owner's Review policy card on the dataset page: the version in force and the form to change it.

The version and its start come from the review contract (``review_owner.current_policy``), named by
``policy_version_text`` as the CLI and the profile name them, so one policy never has two numbers.
The form starts from the policy in force; after a refusal it shows what was typed instead. A chain
that cannot be read leaves the card with a sentence saying why, never an error page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sebrus.db.models import Dataset
from sebrus.services.errors import ServiceError
from sebrus.services.review import owner as review_owner
from sebrus.services.review.policy import policy_from_terms, policy_version_text
from sebrus.web.chain_info import review_chain
from sebrus.web.context import WebRequest
from sebrus.web.forms import FormErrors
from sebrus.web.policy_form import MAX_WINDOW_MINUTES, form_values, policy_facts

log = logging.getLogger(__name__)
NO_NETWORK = "The review network is not running on this server, so the policy cannot be changed here."


@dataclass
class PolicyPanel:
    facts: list[tuple[str, str]]
    values: dict[str, str]
    errors: FormErrors
    version_text: str = ""  # "version 1, for items submitted from 2026-12-06 11:40 UTC"
    problem: str = ""  # why the form is not offered
    max_window_minutes: int = MAX_WINDOW_MINUTES


def policy_panel(web: WebRequest, dataset: Dataset, notice: dict[str, Any]) -> PolicyPanel:
    stored = dataset.review_policy or {}
    errors = notice.get("policy_errors") or FormErrors()
    panel = PolicyPanel(facts=policy_facts(stored), values=form_values(stored), errors=errors)
    chain = review_chain(web.request)
    if chain is None:
        panel.problem = NO_NETWORK
    else:
        try:
            _, policy, _ = review_owner.current_policy(chain, dataset)
        except ServiceError as exc:
            log.info("policy of dataset %s unreadable: %s", dataset.id, exc.message)
            panel.problem = exc.message
        else:
            terms = policy_from_terms(policy.terms)
            panel.version_text = policy_version_text(policy.version, policy.effective_from)
            panel.facts = policy_facts(terms)
            panel.values = form_values(terms)
    if notice.get("policy_values"):
        panel.values = notice["policy_values"]
    return panel
