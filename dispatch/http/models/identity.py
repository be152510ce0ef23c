"""Login, logout, who am I, users."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct

from dispatch.http.models.common import Ms

Username = Annotated[str, Meta(min_length=1, max_length=64)]
Password = Annotated[str, Meta(min_length=1, max_length=256)]


class LoginBody(Struct):
    username: Username
    password: Password


class User(Struct, kw_only=True):
    username: str
    role: str
    scope: str | None
    scope_kind: str | None
    name: str
    disabled: bool
    #: The user's street (the district centre's code for the district's people).
    street: str = ""
    #: A user of the district centre: sees every street, drills down with ``?street=``.
    district: bool = False


class LoginOut(Struct):
    token: str
    expires: Ms
    user: User


class Users(Struct):
    items: list[User]


class UsersQuery(Struct, forbid_unknown_fields=False):
    role: str | None = None


class Revoked(Struct):
    username: str
    revoked: int
