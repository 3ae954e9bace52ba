import json
import subprocess
import sys
import textwrap

from tests.e2e.bot_process import ROOT

# Prints the JSON schema of every model of aiogram.types and aiogram.methods: each schema is generated from
# the model's validator, so building it lazily must give exactly what aiogram's own import builds.
EVERY_SCHEMA = """
import json, warnings
import aiogram.methods, aiogram.types
from pydantic import BaseModel

def schema_of(model):
    try:
        return model.model_json_schema()
    except Exception as error:  # the same few (file uploads) fail either way
        return f"{type(error).__name__}: {error}"

warnings.simplefilter("ignore")
print(json.dumps({
    f"{module.__name__}.{name}": schema_of(model)
    for module in (aiogram.types, aiogram.methods)
    for name in module.__all__
    if isinstance(model := getattr(module, name), type) and issubclass(model, BaseModel)
}))
"""
LAZY = "from bot.lazy_types import import_aiogram\nimport_aiogram()\n"


def run_python(*sources: str) -> list[str]:
    """Run each source in a fresh interpreter of its own, all at once; return what each printed."""
    children = [
        subprocess.Popen([sys.executable, "-c", source], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for source in sources
    ]
    outputs = [child.communicate(timeout=120)[0] for child in children]
    assert all(child.returncode == 0 for child in children), outputs
    return outputs


def test_lazy_types_build_every_model_as_aiogram_builds_it() -> None:
    eager, lazy = map(json.loads, run_python(EVERY_SCHEMA, LAZY + EVERY_SCHEMA))
    assert len(eager) > 500
    assert sum(isinstance(schema, dict) for schema in eager.values()) > 500
    assert lazy == eager


def test_lazy_types_import_builds_only_message_and_update_and_the_rest_on_first_use() -> None:
    check = LAZY + textwrap.dedent(
        """
        import pydantic
        from aiogram.methods import SendMessage
        from aiogram.methods.base import Response
        from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

        print(Message.__pydantic_complete__, Update.__pydantic_complete__)
        print(CallbackQuery.__pydantic_complete__, SendMessage.__pydantic_complete__)
        print(pydantic.BaseModel.model_rebuild.__func__ is pydantic.BaseModel.__dict__["model_rebuild"].__func__)

        def first_use():
            answer = Response[list[Update]].model_validate_json('''{"ok": true, "result": [
                {"update_id": 7, "message": {"message_id": 3, "date": 0, "chat": {"id": 5, "type": "private"},
                 "from": {"id": 5, "is_bot": false, "first_name": "<b>&"}, "text": "/book",
                 "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                 "reply_to_message": {"message_id": 2, "date": 0, "chat": {"id": 5, "type": "private"}}}},
                {"update_id": 8, "callback_query": {"id": "q", "chat_instance": "c", "data": "day:1",
                 "from": {"id": 5, "is_bot": false, "first_name": "A"},
                 "message": {"message_id": 4, "date": 0, "chat": {"id": 5, "type": "private"}}}}]}''')
            message, query = answer.result[0].message, answer.result[1].callback_query
            print(message.from_user.first_name, message.entities[0].type, message.reply_to_message.message_id)
            print(query.data, query.message.message_id)
            markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="9:00", callback_data="t")]])
            request = SendMessage(chat_id=5, text="Hi", reply_markup=markup)
            print(json.dumps(request.model_dump(exclude_none=True)["reply_markup"]))

        import json
        first_use()
        """
    )
    (output,) = run_python(check)
    assert output.splitlines() == [
        "True True",
        "False False",
        "True",
        "<b>& bot_command 2",
        "day:1 4",
        '{"inline_keyboard": [[{"text": "9:00", "callback_data": "t"}]]}',
    ]
