"""Import aiogram without building the validators of all its Telegram types up front.

`aiogram.types` ends by rebuilding each of its ~450 pydantic models, passing the names their annotations use
(their modules import them only under TYPE_CHECKING). Message, Chat and most other types refer to one another,
so each rebuild regenerates the schemas of all the types it reaches that are not built yet: 1.4 s of a 2.5 s
start here, the same schemas generated hundreds of times (aiogram issue #1891). The models are declared
`defer_build`, so pydantic builds any of them on first use by itself, once the names resolve: this puts the
names in the types' modules instead, and the bot builds only what it uses. Message and Update, which every
update needs, are built right away: the models of the API's answers (Message, or Message | bool, ...) then
reuse them instead of regenerating them inside each (~60 ms apiece on first use).
"""

import sys
from typing import Any

from pydantic import BaseModel

TYPES_PACKAGE = "aiogram.types"


def import_aiogram() -> None:
    """Import aiogram with its types built on first use. Call it before anything else imports aiogram."""
    if TYPES_PACKAGE in sys.modules:
        return
    build_now = BaseModel.__dict__["model_rebuild"]
    namespaces: dict[str, dict[str, Any]] = {}

    def remember_namespace(cls: type[BaseModel], *, _types_namespace: dict[str, Any] | None = None, **options: Any):
        if _types_namespace is not None and cls.__module__.startswith(f"{TYPES_PACKAGE}."):
            namespaces[cls.__module__] = _types_namespace
            return None
        return build_now.__func__(cls, _types_namespace=_types_namespace, **options)

    # Only while aiogram is imported: the names must not resolve yet, or the API method models (built
    # when their classes are created, right after the types) would regenerate every type they refer to.
    BaseModel.model_rebuild = classmethod(remember_namespace)  # type: ignore[assignment,method-assign]
    try:
        __import__(TYPES_PACKAGE)
    finally:
        BaseModel.model_rebuild = build_now  # type: ignore[method-assign]
    for module_name, namespace in namespaces.items():
        module_globals = vars(sys.modules[module_name])
        for name, value in namespace.items():
            module_globals.setdefault(name, value)
    if namespaces:
        from aiogram.types import Message, Update

        Message.model_rebuild()  # first: most other types, Update among them, refer to it
        Update.model_rebuild()
