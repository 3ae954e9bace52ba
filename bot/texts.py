"""Every word the bot says, in Russian and English. Placeholders are filled with already-escaped HTML."""

from typing import Literal

Lang = Literal["ru", "en"]

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "menu_book": "📅 Book",
        "menu_my": "🗂 My bookings",
        "menu_help": "❓ Help",
        "greeting": "Hello, {name}! 👋\nI can book you an appointment and remind you about it.\n"
        "Use the menu below: <b>📅 Book</b> to choose a time, <b>🗂 My bookings</b> to see, "
        "cancel or reschedule your appointments.",
        "help": "<b>How it works</b>\n"
        "/book — book an appointment: pick a day, then a time, then confirm.\n"
        "/my — your upcoming bookings; cancel or reschedule them there.\n"
        "/cancel — stop what you are doing.\n\n"
        "I remind you before each appointment ({reminders}) and ask for your feedback afterwards.\n"
        "Changes are possible up to {cutoff} before the start.",
        "flow_left": "Okay, stopped. Nothing was changed.",
        "choose_service": "Which service would you like?",
        "choose_specialist": "<b>{service}</b>\nWho would you like?",
        "btn_any_specialist": "👥 Any specialist",
        "btn_other_specialist": "👥 Another specialist",
        "specialist_unavailable": "Sorry, this specialist does not take this service now. Please choose again: /book",
        "month_title": "📅 {month}",
        "weekdays_short": "Mo Tu We Th Fr Sa Su",
        "choose_date": "<b>{service}</b>\nChoose a day:",
        "choose_date_reschedule": "Rescheduling <b>{service}</b> from {date} {time}.\nChoose a new day:",
        "choose_time": "<b>{service}</b>, {day}\nChoose a time:",
        "no_days": "Sorry, there are no free times in the next {days} days. Please check back later.",
        "no_times": "Sorry, {day} has just filled up. Choose another day:",
        "summary": "Please check your booking:\n\n<b>{service}</b>\n📅 {date} ({weekday})\n🕒 {time}\n\nConfirm?",
        "summary_reschedule": "Move your booking?\n\n<b>{service}</b>\nfrom {old_date} {old_time}\n"
        "to <b>{date} ({weekday}) {time}</b>",
        "btn_confirm": "✅ Confirm",
        "btn_back": "⬅️ Back",
        "btn_abort": "✖️ Stop",
        "booked": "✅ Booked: <b>{service}</b> on {date} at {time}.\nI will remind you beforehand.",
        "rescheduled": "🔁 Moved: <b>{service}</b> is now on {date} at {time}.",
        "booked_for_you": "📅 We have booked you: <b>{service}</b> on {date} at {time}.\nSee /my for details.",
        "moved_for_you": "🔁 We have moved your booking: <b>{service}</b> is now on {date} at {time}.",
        "slot_taken": "Sorry, that time was just taken. Please choose another one:",
        "slot_not_offered": "That time is not available any more. Please choose another one:",
        "too_many": "You already have {limit} upcoming bookings, the most allowed. Cancel one in /my to book another.",
        "not_found": "Sorry, this booking is not available.",
        "not_active": "This booking has already been cancelled or has taken place.",
        "in_past": "This appointment has already started or taken place.",
        "too_late": "It is too late to change this booking here: changes close {cutoff} before "
        "the start. Please contact us directly.",
        "service_unavailable": "Sorry, this service is no longer offered. Please choose again: /book",
        "my_none": "You have no upcoming bookings. Book one: /book",
        "my_header": "<b>Your upcoming bookings</b>",
        "my_item": "• {date} ({weekday}) {time} — {service}",
        "btn_cancel_booking": "❌ Cancel {date} {time}",
        "btn_reschedule": "🔁 Reschedule {date} {time}",
        "cancel_question": "Cancel <b>{service}</b> on {date} at {time}?",
        "btn_cancel_yes": "✅ Yes, cancel it",
        "btn_cancel_no": "↩️ Keep it",
        "cancelled": "Your booking <b>{service}</b> on {date} at {time} is cancelled.",
        "kept": "Okay, your booking stays as it is.",
        "reminder": "⏰ Reminder: <b>{service}</b> {when}.\nSee you soon!",
        "no_show_limit": "You did not come to {count} booked appointments, so booking here in the chat is closed "
        "for you. {contact}",
        "booking_closed": "Booking here in the chat is closed for you. {contact}",
        "contact_us": "To book, please contact us: {contact}",
        "contact_business": "To book, please contact the business directly.",
        "reminder_last_call": "⏰ Please confirm your visit: <b>{service}</b> {when}.\n"
        "Tap ✅ below, or move or cancel it if your plans have changed.",
        "released": "Your booking <b>{service}</b> on {date} at {time} was not confirmed in time, so the time has "
        "been given up for other clients. To book again: /book",
        "btn_waitlist_day": "🔔 Tell me when a time frees up on {date}",
        "btn_waitlist_full_days": "🔔 Wait for a full day",
        "waitlist_days": "<b>{service}</b>\nThese days are full. Pick one and I will tell you as soon as a time "
        "frees up:",
        "waitlist_no_days": "No day is full right now: choose a time instead.",
        "waitlist_joined": "🔔 Done: I will tell you when a time frees up on {date} ({weekday}) for <b>{service}</b>.",
        "waitlist_already": "You are already waiting for {date} 🔔",
        "waitlist_too_many": "You are already waiting for {limit} days, the most allowed. Leave one in /my first.",
        "waitlist_not_full": "That day has free times now — choose one:",
        "waitlist_header": "<b>Waiting for a free time</b> 🔔",
        "waitlist_item": "• {date} ({weekday}) — {service}",
        "btn_waitlist_leave": "🔕 Stop waiting for {date}",
        "waitlist_left": "🔕 You no longer wait for {date}.",
        "waitlist_offer": "🔔 A time has freed up on <b>{date} ({weekday})</b> for <b>{service}</b>.\n"
        "The first to confirm gets it — tap a time:",
        "btn_waitlist_more": "🗓 All free times on {date}",
        "btn_attend": "✅ I'll come",
        "btn_move_short": "🔁 Move",
        "btn_cancel_short": "❌ Cancel",
        "attendance_confirmed": "✅ Thank you! We are expecting you: <b>{service}</b> on {date} at {time}.",
        "attendance_already": "You have already confirmed this visit ✅",
        "btn_calendar": "📅 Add to calendar",
        "btn_calendar_cancelled": "📅 Update my calendar",
        "btn_calendar_short": "📅 {date} {time}",
        "ics_caption": "📅 Open the file to add <b>{service}</b> on {date} at {time} to your calendar.",
        "ics_caption_cancelled": "📅 Open the file to mark <b>{service}</b> on {date} at {time} as cancelled.",
        "ics_description": "Booked in Telegram: {bot}",
        "when_today": "today at {time}",
        "when_tomorrow": "tomorrow at {time}",
        "when_other": "on {date} ({weekday}) at {time}",
        "feedback_request": "How was your visit — <b>{service}</b> on {date}?\nPlease rate it:",
        "rated": "Thank you! You rated it {rating} ⭐ of 5.\nIf you like, send a comment in one message, or /skip.",
        "comment_saved": "Thank you for your comment! 🙏",
        "comment_too_long": "That is longer than {limit} characters: please send a shorter comment, or /skip.",
        "comment_skipped": "Thank you!",
        "comment_text_only": "Please send your comment as text, or /skip.",
        "rate_not_yet": "You can rate this appointment once it has taken place.",
        "unknown": "I did not understand that. Use the menu below or /help.",
        "stale_button": "This button is out of date.",
        "question_expired": "That question has expired, so nothing was changed. Please start again.",
        "error": "Something went wrong on our side. Please try again.",
        "unavailable": "The service is temporarily unavailable. Please try again in a minute.",
        "weekdays": "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
    },
    "ru": {
        "menu_book": "📅 Записаться",
        "menu_my": "🗂 Мои записи",
        "menu_help": "❓ Помощь",
        "greeting": "Здравствуйте, {name}! 👋\nЯ запишу вас на приём и напомню о нём.\n"
        "Меню внизу: <b>📅 Записаться</b> — выбрать время, <b>🗂 Мои записи</b> — посмотреть, "
        "отменить или перенести запись.",
        "help": "<b>Как это работает</b>\n"
        "/book — записаться: выберите день, затем время и подтвердите.\n"
        "/my — ваши предстоящие записи; там же отмена и перенос.\n"
        "/cancel — прервать текущее действие.\n\n"
        "Я напомню о каждой записи ({reminders}) и попрошу оценить визит после него.\n"
        "Изменить запись можно не позднее чем за {cutoff} до начала.",
        "flow_left": "Хорошо, прервали. Ничего не изменилось.",
        "choose_service": "Какая услуга вам нужна?",
        "choose_specialist": "<b>{service}</b>\nК кому записаться?",
        "btn_any_specialist": "👥 Любой специалист",
        "btn_other_specialist": "👥 Другой специалист",
        "specialist_unavailable": "К сожалению, этот специалист сейчас не оказывает эту услугу. Выберите снова: /book",
        "month_title": "📅 {month}",
        "weekdays_short": "Пн Вт Ср Чт Пт Сб Вс",
        "choose_date": "<b>{service}</b>\nВыберите день:",
        "choose_date_reschedule": "Перенос записи <b>{service}</b> с {date} {time}.\nВыберите новый день:",
        "choose_time": "<b>{service}</b>, {day}\nВыберите время:",
        "no_days": "К сожалению, в ближайшие {days} дн. нет свободного времени. Загляните позже.",
        "no_times": "К сожалению, {day} только что заняли. Выберите другой день:",
        "summary": "Проверьте запись:\n\n<b>{service}</b>\n📅 {date} ({weekday})\n🕒 {time}\n\nПодтвердить?",
        "summary_reschedule": "Перенести запись?\n\n<b>{service}</b>\nс {old_date} {old_time}\n"
        "на <b>{date} ({weekday}) {time}</b>",
        "btn_confirm": "✅ Подтвердить",
        "btn_back": "⬅️ Назад",
        "btn_abort": "✖️ Прервать",
        "booked": "✅ Вы записаны: <b>{service}</b>, {date} в {time}.\nЯ напомню заранее.",
        "rescheduled": "🔁 Запись перенесена: <b>{service}</b>, {date} в {time}.",
        "booked_for_you": "📅 Мы записали вас: <b>{service}</b>, {date} в {time}.\nПодробности: /my",
        "moved_for_you": "🔁 Мы перенесли вашу запись: <b>{service}</b>, теперь {date} в {time}.",
        "slot_taken": "Извините, это время только что заняли. Выберите другое:",
        "slot_not_offered": "Это время больше недоступно. Выберите другое:",
        "too_many": "У вас уже {limit} предстоящих записей — это максимум. "
        "Отмените одну в /my, чтобы записаться снова.",
        "not_found": "Извините, эта запись недоступна.",
        "not_active": "Эта запись уже отменена или состоялась.",
        "in_past": "Этот визит уже начался или состоялся.",
        "too_late": "Изменить эту запись здесь уже нельзя: изменения возможны не позднее чем за "
        "{cutoff} до начала. Пожалуйста, свяжитесь с нами напрямую.",
        "service_unavailable": "Извините, эта услуга больше недоступна. Выберите снова: /book",
        "my_none": "У вас нет предстоящих записей. Записаться: /book",
        "my_header": "<b>Ваши предстоящие записи</b>",
        "my_item": "• {date} ({weekday}) {time} — {service}",
        "btn_cancel_booking": "❌ Отменить {date} {time}",
        "btn_reschedule": "🔁 Перенести {date} {time}",
        "cancel_question": "Отменить запись <b>{service}</b>, {date} в {time}?",
        "btn_cancel_yes": "✅ Да, отменить",
        "btn_cancel_no": "↩️ Оставить",
        "cancelled": "Запись <b>{service}</b>, {date} в {time}, отменена.",
        "kept": "Хорошо, запись остаётся в силе.",
        "reminder": "⏰ Напоминание: <b>{service}</b> {when}.\nДо встречи!",
        "no_show_limit": "Вы не пришли на {count} записи, поэтому запись в чате для вас закрыта. {contact}",
        "booking_closed": "Запись в чате для вас закрыта. {contact}",
        "contact_us": "Чтобы записаться, свяжитесь с нами: {contact}",
        "contact_business": "Чтобы записаться, свяжитесь с нами напрямую.",
        "reminder_last_call": "⏰ Подтвердите, пожалуйста, визит: <b>{service}</b> {when}.\n"
        "Нажмите ✅ ниже или перенесите/отмените запись, если планы изменились.",
        "released": "Запись <b>{service}</b>, {date} в {time}, не была подтверждена вовремя, и время отдано другим "
        "клиентам. Записаться снова: /book",
        "btn_waitlist_day": "🔔 Сообщить, когда освободится время {date}",
        "btn_waitlist_full_days": "🔔 Ждать занятый день",
        "waitlist_days": "<b>{service}</b>\nЭти дни заняты. Выберите день — я сообщу, как только освободится время:",
        "waitlist_no_days": "Сейчас нет занятых дней: выберите время.",
        "waitlist_joined": "🔔 Готово: я сообщу, когда освободится время {date} ({weekday}) на <b>{service}</b>.",
        "waitlist_already": "Вы уже ждёте {date} 🔔",
        "waitlist_too_many": "Вы уже ждёте {limit} дня — это максимум. Сначала откажитесь от одного в /my.",
        "waitlist_not_full": "В этот день теперь есть свободное время — выберите:",
        "waitlist_header": "<b>Ожидание свободного времени</b> 🔔",
        "waitlist_item": "• {date} ({weekday}) — {service}",
        "btn_waitlist_leave": "🔕 Не ждать {date}",
        "waitlist_left": "🔕 Вы больше не ждёте {date}.",
        "waitlist_offer": "🔔 Освободилось время <b>{date} ({weekday})</b> на <b>{service}</b>.\n"
        "Достанется тому, кто первым подтвердит, — выберите время:",
        "btn_waitlist_more": "🗓 Всё свободное время {date}",
        "btn_attend": "✅ Приду",
        "btn_move_short": "🔁 Перенести",
        "btn_cancel_short": "❌ Отменить",
        "attendance_confirmed": "✅ Спасибо! Ждём вас: <b>{service}</b>, {date} в {time}.",
        "attendance_already": "Вы уже подтвердили этот визит ✅",
        "btn_calendar": "📅 Добавить в календарь",
        "btn_calendar_cancelled": "📅 Обновить календарь",
        "btn_calendar_short": "📅 {date} {time}",
        "ics_caption": "📅 Откройте файл, чтобы добавить <b>{service}</b>, {date} в {time}, в календарь.",
        "ics_caption_cancelled": "📅 Откройте файл, чтобы отметить <b>{service}</b>, {date} в {time}, как отменённую.",
        "ics_description": "Запись в Telegram: {bot}",
        "when_today": "сегодня в {time}",
        "when_tomorrow": "завтра в {time}",
        "when_other": "{date} ({weekday}) в {time}",
        "feedback_request": "Как прошёл визит — <b>{service}</b>, {date}?\nПожалуйста, оцените:",
        "rated": "Спасибо! Ваша оценка: {rating} ⭐ из 5.\n"
        "Если хотите, напишите комментарий одним сообщением или нажмите /skip.",
        "comment_saved": "Спасибо за комментарий! 🙏",
        "comment_too_long": "Это длиннее {limit} символов: пришлите комментарий покороче или /skip.",
        "comment_skipped": "Спасибо!",
        "comment_text_only": "Пожалуйста, пришлите комментарий текстом или нажмите /skip.",
        "rate_not_yet": "Оценить визит можно после того, как он состоится.",
        "unknown": "Я не понял сообщение. Воспользуйтесь меню ниже или /help.",
        "stale_button": "Эта кнопка устарела.",
        "question_expired": "Вопрос устарел, поэтому ничего не изменилось. Пожалуйста, начните заново.",
        "error": "У нас что-то пошло не так. Пожалуйста, попробуйте ещё раз.",
        "unavailable": "Сервис временно недоступен. Попробуйте через минуту.",
        "weekdays": "Пн,Вт,Ср,Чт,Пт,Сб,Вс",
    },
}


def pick_language(telegram_language: str | None, default: Lang) -> Lang:
    code = (telegram_language or "").split("-")[0].lower()
    if code == "ru":
        return "ru"
    if code == "en":
        return "en"
    return default


def t(lang: Lang, key: str, **values: object) -> str:
    text = TEXTS[lang][key]
    return text.format(**values) if values else text


def menu_texts(*keys: str) -> set[str]:
    """Menu buttons' texts in every language (a user's language may change between messages)."""
    return {texts[key] for texts in TEXTS.values() for key in keys}
