"""OAuth 2.0 grants: what a token request of each grant must carry.

scripts/generate.py reads this module too (the docs' examples send what a grant needs),
so the generator and the runtime follow one rule.
"""

#: What each grant needs besides grant_type, and the section of RFC 6749 that says so.
GRANT_NEEDS = {"authorization_code": ("code", "4.1.3"), "refresh_token": ("refresh_token", "6")}
