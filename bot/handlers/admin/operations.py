"""/jobs, /health and /audit: how the bot is doing, and who changed what."""

from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import admin_views
from bot.admin_texts import admin_text
from bot.callbacks import (
    AdminAudit,
    AdminMenu,
)
from bot.replies import answer, show
from bot.texts import Lang
from services import health, runtime
from services.admin import AdminService

router = Router(name=__name__)


@router.message(Command("jobs"))
@router.callback_query(AdminMenu.filter(F.item == "jobs"))
async def jobs(event: Message | CallbackQuery, lang: Lang, admin_service: AdminService) -> None:
    await answer(event, _jobs_text(lang, admin_service))


@router.message(Command("health"))
@router.callback_query(AdminMenu.filter(F.item == "health"))
async def health_command(event: Message | CallbackQuery, lang: Lang, admin_service: AdminService) -> None:
    await answer(event, await _health_text(lang, admin_service))


@router.message(Command("audit"))
@router.callback_query(AdminMenu.filter(F.item == "audit"))
async def audit(event: Message | CallbackQuery, lang: Lang, admin_service: AdminService) -> None:
    await answer(event, *await _audit_view(lang, admin_service, 0))


@router.callback_query(AdminAudit.filter())
async def audit_page(
    callback: CallbackQuery, callback_data: AdminAudit, lang: Lang, admin_service: AdminService
) -> None:
    await callback.answer()
    await show(callback, *await _audit_view(lang, admin_service, max(callback_data.page, 0)))


def _jobs_text(lang: Lang, admin_service: AdminService) -> str:
    rt = runtime.current()
    scheduler: AsyncIOScheduler = rt.jobs.scheduler
    tz = admin_service.settings.timezone
    counts = {"reminder": 0, "feedback": 0, "sweep": 0, "other": 0}
    all_jobs = scheduler.get_jobs()
    for job in all_jobs:
        counts[health.job_kind(job.id)] += 1
    upcoming = sorted((j for j in all_jobs if j.next_run_time), key=lambda j: j.next_run_time)[:10]
    lines = [f"{j.next_run_time.astimezone(tz):%d.%m %H:%M:%S} — <code>{escape(j.id)}</code>" for j in upcoming]
    return admin_text(
        lang,
        "jobs",
        state=admin_text(lang, health.scheduler_role(scheduler)),
        store=rt.job_store.kind,
        reason=escape(rt.job_store.reason),
        reminders=counts["reminder"],
        feedback=counts["feedback"],
        sweeps=counts["sweep"],
        other=counts["other"],
        next="\n".join(lines) or "—",
    )


async def _health_text(lang: Lang, admin_service: AdminService) -> str:
    report = await health.check(runtime.current(), admin_service.session)
    return admin_text(lang, "health", **report.as_text(admin_service.settings.timezone))


async def _audit_view(lang: Lang, admin_service: AdminService, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    entries, total = await admin_service.audit_page(page)
    if not total:
        return admin_text(lang, "audit_none"), None
    tz = admin_service.settings.timezone
    lines = [admin_text(lang, "audit_title", total=total)]
    for entry in entries:
        change = escape(admin_views.audit_change(entry.before, entry.after))
        lines.append(
            f"{entry.created_at.astimezone(tz):%d.%m %H:%M} <code>{entry.actor_id}</code> "
            f"<b>{escape(entry.action)}</b> {escape(entry.target or '')}\n{change}"
        )
    builder = InlineKeyboardBuilder()
    if page > 0:
        builder.button(text="⬅️", callback_data=AdminAudit(page=page - 1))
    if (page + 1) * 10 < total:
        builder.button(text="➡️", callback_data=AdminAudit(page=page + 1))
    return "\n\n".join(lines), builder.as_markup()
