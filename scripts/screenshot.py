"""Take screenshots of pages as a given user, at desktop and phone width.

    python scripts/screenshot.py --base http://127.0.0.1:8000 --user city_officer /registry/sites/ ...

Writes PNGs to test-artifacts/screenshots/.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="city_officer")
    parser.add_argument("--password", default="Demo@2026")
    parser.add_argument("--out", default="test-artifacts/screenshots")
    parser.add_argument("--widths", default="1366,390")
    parser.add_argument("--wait", type=int, default=300, help="milliseconds to wait after loading (live video)")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for width in (int(w) for w in args.widths.split(",")):
            page = browser.new_page(viewport={"width": width, "height": 1080 if width >= 1920 else 900 if width > 600 else 844})
            if args.user != "-":
                page.goto(args.base + "/accounts/login/")
                page.fill("input[name=username]", args.user)
                page.fill("input[name=password]", args.password)
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
            for path in args.paths:
                page.goto(args.base + path)
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(args.wait)
                name = re.sub(r"[^A-Za-z0-9]+", "_", f"{args.user}_{path}").strip("_") + f"_{width}.png"
                page.screenshot(path=str(out / name), full_page=True)
                print(out / name)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
