"""Make Debian's Chromium available for the browser tests when we can.

Installs the `chromium` package when it is missing and we are root (CI and fresh
machines); otherwise does nothing and the browser tests skip with a reason.
Never downloads a browser build of its own (no `playwright install`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    if os.path.exists(CHROMIUM):
        return 0
    if os.environ.get("MOMENTUM_SKIP_BROWSER_INSTALL"):
        print("browser tests: Chromium missing and install skipped by MOMENTUM_SKIP_BROWSER_INSTALL")
        return 0
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print("browser tests: /usr/bin/chromium missing and cannot install it (not root or no apt-get); they will skip")
        return 0
    print("browser tests: installing Debian's chromium (apt-get) …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env, timeout=900)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"browser tests: could not install chromium ({exc}); they will skip")
    return 0


if __name__ == "__main__":
    sys.exit(main())
