"""The field app speaks every error code the server may answer it with, in both languages.

The codes are read from the server's sources for what the app calls (reports, photos,
case actions, patrols, locations, sign-in, the body and error layers); a code added there
without a text in dispatch/web/app/texts.js fails here. Other codes get the app's fallback.
"""

from __future__ import annotations

import re
from pathlib import Path

import dispatch

PACKAGE = Path(dispatch.__file__).parent
#: Where the errors the field app meets are raised.
SOURCES = ["cases/*.py", "media.py", "rules_service.py", "errors.py", "app.py", "authz.py",
           "location/*.py",
           "http/body.py", "http/middleware.py", "http/case_routes.py", "http/media_routes.py",
           "http/patrol_routes.py", "http/location_routes.py", "http/identity_routes.py",
           "identity/*.py", "realtime/phone.py", "realtime/session.py", "realtime/team.py"]
#: Codes of the command line and the admin only (the field app never sends those requests).
NOT_FOR_THE_APP = {"already_seeded", "user_exists", "invalid_rules", "jlc"}
CODE = re.compile(r'code\s*=\s*"([a-z_]+)"|HTTP_CODES = \{([^}]*)\}')
TEXT = re.compile(r'^\s+"error\.code\.([a-z_]+)":', re.MULTILINE)


def server_codes() -> set[str]:
    found: set[str] = set()
    for pattern in SOURCES:
        for path in PACKAGE.glob(pattern):
            for one, table in CODE.findall(path.read_text(encoding="utf-8")):
                found |= {one} if one else set(re.findall(r'"([a-z_]+)"', table))
    return found - NOT_FOR_THE_APP


def test_every_code_the_app_meets_has_a_chinese_and_an_english_text() -> None:
    texts = (PACKAGE / "web" / "app" / "texts.js").read_text(encoding="utf-8")
    zh, en = texts.split("\n  en: {", 1)
    codes = server_codes()
    assert {"media_in_use", "payload_too_large", "patrol_too_old", "unknown_item"} <= codes
    for language, table in (("zh", zh), ("en", en)):
        missing = sorted(codes - set(TEXT.findall(table)))
        assert missing == [], f"texts.js lacks error.code.* in {language}: {missing}"
