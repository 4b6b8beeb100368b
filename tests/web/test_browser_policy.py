"""The owner changes the review policy on the dataset page in a real browser, at desktop and phone
widths: the form opens with the policy in force, a refusal shows every error at once with what was
typed, and the change names the new version and the items it applies to. Each state passes the
accessibility audit. Screenshots: dataset-policy-refused, dataset-policy."""

from __future__ import annotations

import re
from typing import Any

from tests.support.browser import DESKTOP, PHONE, Visit, log_in_in_browser, register_in_browser
from tests.support.live_server import LiveServer


def test_the_owner_changes_the_review_policy_on_the_dataset_page(chromium: Any, server: LiveServer) -> None:
    from playwright.sync_api import expect

    visit = Visit(chromium, server.url, DESKTOP, "desktop")
    page = visit.page
    register_in_browser(page, "polly")
    page.goto("/datasets/new")
    page.fill("#name", "Policy birds")
    page.fill("#labels", "owl, wren")
    page.click("button:has-text('Create dataset')")
    page.wait_for_url(re.compile(r".*/datasets/\d+\?created=1"))
    dataset_url = page.url.split("?")[0]

    in_force = "In force: version 0, for every item from the start."
    expect(page.locator("#policy-version")).to_have_text(in_force)
    page.click("#policy-change summary")
    expect(page.locator("#policy-change #stake_eth")).to_have_value("0.001")  # the policy in force
    expect(page.locator("#policy-change #x")).to_have_value("1")
    page.fill("#policy-change #x", "200")
    page.fill("#policy-change #stake_eth", "a lot")
    page.fill("#policy-change #deposit_eth", "0.0000000000000000001")  # 19 decimals: below one wei
    page.click("#policy-change button:has-text('Change the policy')")
    page.wait_for_load_state("load")
    errors = page.locator("#policy-change .field-error")
    expect(errors).to_have_count(3)  # every problem at once, each beside its field
    expect(page.locator("#policy-change #stake_eth")).to_have_value("a lot")
    expect(page.locator("#policy-change #x")).to_have_value("200")
    visit.shot("dataset-policy-refused")

    page.fill("#policy-change #x", "2")
    page.fill("#policy-change #stake_eth", "0.02")
    page.fill("#policy-change #deposit_eth", "0.001")
    page.check("#policy-change input[name=voters][value=allow-list]")
    page.click("#policy-change button:has-text('Change the policy')")
    page.wait_for_url(re.compile(r".*\?policy=1"))
    saved = page.locator("#policy-saved")
    expect(saved).to_contain_text("version 1, for items submitted from")
    expect(saved).to_contain_text("Items submitted before then keep the version")
    expect(page.locator("#policy")).to_contain_text("0.02 ETH")
    expect(page.locator("#policy")).to_contain_text("the owner's allow-list")
    visit.shot("dataset-policy")
    visit.close()

    phone = Visit(chromium, server.url, PHONE, "phone")
    log_in_in_browser(phone.page, "polly")
    phone.page.goto(dataset_url)
    expect(phone.page.locator("#policy-version")).to_contain_text("version 1, for items submitted from")
    phone.page.click("#policy-change summary")
    expect(phone.page.locator("#policy-change #stake_eth")).to_have_value("0.02")
    phone.shot("dataset-policy")
    phone.close()

    stranger = Visit(chromium, server.url, DESKTOP, "desktop")
    register_in_browser(stranger.page, "not-polly")
    stranger.page.goto(dataset_url)
    expect(stranger.page.locator("#policy")).to_contain_text("0.02 ETH")
    expect(stranger.page.locator("#policy-change")).to_have_count(0)
    stranger.close()
