"""Admin-side wording, Russian and English. Placeholders receive already-escaped HTML."""

from bot.texts import Lang
from core.errors import InputTooLong

ADMIN_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "menu": "<b>Admin</b>\n/today, /tomorrow, /day YYYY-MM-DD [NAME] — the schedule (one specialist's)\n"
        "/staff — specialists; /hours — working hours; /dayoff NAME DAYS — days off; /notices on|off\n"
        "/block DAY [DAY | HH:MM-HH:MM] [reason] [@NAME] — block time; /blocks — unblock\n"
        "/jobs — the scheduler; /health — the bot's health\n/admins — admins; /audit — who changed what\n"
        "/services — services; /feedback — ratings; /export [FROM] [TO] — bookings as CSV\n"
        "/stats [7d | FROM TO] — figures and a chart; /book_for [NAME] — book for a client\n"
        "/broadcast — a message to every client\n"
        "/calendars — calendar feeds; /calendar_add [NAME] — a new one (the business's, or a specialist's)\n"
        "/client CLIENT — a client's card: history, notes, booking closed or open; "
        "/forgive CLIENT — their no-shows stop counting",
        "btn_today": "📅 Today",
        "btn_tomorrow": "📅 Tomorrow",
        "btn_blocks": "⛔ Blocks",
        "btn_jobs": "⏰ Jobs",
        "btn_health": "🩺 Health",
        "btn_audit": "📜 Audit",
        "btn_book_for": "➕ Book for a client",
        "btn_services": "💈 Services",
        "btn_feedback": "⭐ Feedback",
        "btn_stats": "📊 Statistics",
        "btn_export": "📤 Export CSV",
        "btn_broadcast": "📣 Broadcast",
        "btn_admins": "👥 Admins",
        "day_title": "<b>{day}</b> — {count} booking(s)",
        "day_off": "Day off.",
        "hours": "Open {hours}",
        "blocked_line": "⛔ {start}–{end} blocked{reason}",
        "free_line": "Free: {times}",
        "no_free": "No free starts left.",
        "attendance_legend": "✅ the client confirmed · ❔ not yet · ✔️ came · 🚫 did not come (🚫N: no-shows so far)",
        "forgive_usage": "Usage: /forgive ID, @username or name — the client's no-shows stop counting against "
        "MAX_NO_SHOWS.",
        "forgive_ambiguous": "Several clients match: use their id or @username.",
        "client_usage": "Usage: /client ID, @username or name — the client's card.",
        "client_pick": "Several clients match — whose card?",
        "card_title": "👤 {client}\nid <code>{id}</code> · with us since {since}",
        "card_closed": "⛔ Booking in the chat is closed for this client (since {since}). Admins can still book for "
        "them.",
        "card_counts": "Visits: {visits}\nNo-shows: {no_shows}{counting}\nCancelled by the client: {by_client} · "
        "by the business: {by_business} · released unconfirmed: {released}\nRatings: {rated}{average}",
        "card_counting": " ({count} counting against the limit)",
        "card_average": ", average {average}★",
        "card_upcoming": "<b>Upcoming</b>",
        "card_no_upcoming": "No upcoming bookings.",
        "card_notes": "<b>Notes</b>",
        "card_more": "…and {count} more",
        "btn_card_note": "📝 Add a note",
        "btn_card_close": "⛔ Close booking",
        "btn_card_open": "✅ Open booking",
        "btn_card_forgive": "🙏 Forgive {count} no-show(s)",
        "btn_card_book": "➕ Book for them",
        "card_note_ask": "Write the note about {client} (up to {limit} characters). A command or a button leaves it.",
        "card_note_saved": "📝 Note saved.",
        "card_closed_now": "Booking closed for this client.",
        "card_opened_now": "Booking opened for this client.",
        "card_unchanged": "Already so.",
        "card_forgiven": "Forgiven: {count} no-show(s).",
        "forgive_done": "Forgiven: {client} ({count} no-show(s)). They can book in the chat again.",
        "visit_came": "✔️ Marked: came.",
        "visit_question": "🕒 Did {client} come? {service}, {date} {time}",
        "btn_visit_came": "✅ Came",
        "btn_visit_no_show": "🚫 No-show",
        "visit_no_show": "🚫 Marked: did not come.",
        "feed_business": "Bookings",
        "feed_everyone": "the whole business",
        "calendars_header": "<b>Calendar feeds</b> — subscribe to an address in a phone's calendar "
        "(bookings of the last 30 days and the next 60). Anyone with an address sees what it holds: "
        "revoke one that leaked.",
        "calendars_none": "No calendar feeds yet. /calendar_add for the whole business, /calendar_add NAME for a "
        "specialist.",
        "calendar_line": "• #{id} {whose}: <code>{url}</code>",
        "calendar_added": "📅 New calendar feed for {whose}:\n<code>{url}</code>\nAdd it in the phone's calendar as a "
        "subscription (Google Calendar: Other calendars → From URL; iPhone: Settings → Calendar → "
        "Accounts → Add subscribed calendar).",
        "calendar_revoked": "Feed #{id} ({whose}) is revoked: its address now answers 404.",
        "calendar_no_public_url": "\n\n⚠️ Set PUBLIC_URL (and WEB_PORT) so that these addresses are reachable: "
        "until then only the path is known.",
        "btn_calendar_revoke": "❌ Revoke #{id}",
        "own_calendar": "📅 Your bookings as a calendar feed:\n<code>{url}</code>\nAdd it in your phone's calendar as "
        "a subscription. If it leaks, ask an admin to revoke it, then send /calendar for a new one.",
        "page": "page {page}/{pages}",
        "bad_day": "Please give a date: /day YYYY-MM-DD or /day DD.MM",
        "cancel_ask": "Cancel {service} on {date} at {time} for {client}?\n"
        "Send the reason as a message (the client will see it), or press a button.",
        "btn_cancel_no_reason": "❌ Cancel without reason",
        "btn_keep": "↩️ Keep",
        "cancelled_by_admin": "❌ Cancelled: {service} on {date} at {time} for {client}. The client was told.",
        "client_cancelled_by_business": "Sorry — your booking <b>{service}</b> on {date} at {time} was cancelled "
        "by us.{reason}\nPlease book another time: /book",
        "reason_suffix": "\nReason: {reason}",
        "kept": "Kept: {service} on {date} at {time} for {client}.",
        "block_usage": "Usage:\n/block 2026-12-31 — a whole day\n/block 2026-12-24 2026-12-31 vacation — days\n"
        "/block 2026-12-01 13:00-14:00 lunch — a time range\n/block 2026-12-01 training @Anna — one specialist only",
        "blocked": "⛔ Blocked {start} – {end}{reason}. Clients no longer see these times.",
        "already_blocked": "⛔ {start} – {end}{reason} is already blocked.",
        "conflicts": "\n\n{count} booking(s) inside it — keep or cancel each:",
        "conflicts_hours": "\n\n{count} upcoming booking(s) are outside the new hours — keep or cancel each:",
        "staff_title": "<b>Specialists</b> — /staff_add, /staff_edit, /staff_link, /hours, /dayoff",
        "staff_line": "{state} {id}. <b>{name}</b> — {services}{linked}\n    {week}",
        "staff_all_services": "all services",
        "staff_services": "services {ids}",
        "staff_linked": " · 🔗 <code>{user}</code>",
        "staff_card": "{state} <b>{name}</b> (id {id})\n{description}💈 {services}\n🗓 {week}\n🔗 {linked}\n"
        "📅 Own days off: {own}",
        "staff_not_linked": "not linked (/staff_link {id})",
        "staff_own_allowed": "may set them",
        "staff_own_denied": "only admins set them",
        "staff_usage": "Usage:\n/staff_add Name; all | service ids, comma-separated; description\n"
        "/staff_edit ID name|description|services VALUE\n/staff_link ID [USER_ID] — or forward a message from them",
        "staff_added": "✅ Added specialist {name} (id {id}), working the default week. Set it: /hours {name} …",
        "staff_edited": "✅ Saved: {name}.",
        "staff_unknown": "No specialist is called “{name}”. See /staff.",
        "staff_ambiguous": "Several specialists match “{name}”: give the full name.",
        "staff_last": "The last specialist clients can book stays visible.",
        "staff_bad_services": "Services are <code>all</code> or ids from /services, comma-separated.",
        "staff_forward": "Forward a message from the specialist (their own, not forwarded from elsewhere).",
        "staff_linked_done": "🔗 {name} is now linked to <code>{user}</code>: they see their own day with /today "
        "and get the notices of their bookings.",
        "staff_unlinked": "✂️ {name} is no longer linked.",
        "btn_staff_hide": "🙈 Hide",
        "btn_staff_show": "👁 Show",
        "btn_staff_link": "🔗 Link",
        "btn_staff_unlink": "✂️ Unlink",
        "btn_staff_own_days_off": "📅 Own days off: switch",
        "btn_staff_list": "⬅️ Specialists",
        "hours_title": "<b>Working hours</b>",
        "hours_usage": "Usage:\n/hours NAME mon-fri 09:00-13:00 14:00-18:00; sat 10:00-15:00; sun off\n"
        "/hours NAME 2026-12-31 10:00-14:00 (one date)\n/dayoff NAME 24.12-31.12 vacation",
        "hours_bad": "Could not read that: {error}",
        "hours_saved": "✅ Hours of {name}:\n{week}",
        "dates_saved": "✅ {name}, {first}–{last}: {hours}{note}",
        "dayoff_usage": "Usage: /dayoff [NAME] 24.12-31.12 [note] (a day, or a range of days)",
        "day_off_short": "off",
        "notices_on": "🔔 You get a notice of every booking.",
        "notices_off": "🔕 You no longer get a notice of every booking (of your own, as a specialist, you still do).",
        "notices_usage": "Usage: /notices on | off",
        "own_only": "You can change only your own days, and only if an admin allowed it.",
        "own_in_the_way": "Not changed: {count} booking(s) would be outside your hours. Ask an admin to move them.",
        "blocks_none": "No upcoming blocked periods.",
        "blocks_title": "<b>Blocked periods</b>",
        "btn_unblock": "✅ Unblock {start}",
        "unblocked": "Unblocked {start} – {end}.",
        "gone": "This is no longer there.",
        "jobs": "<b>Scheduler</b>: {state}\nJob store: {store} — {reason}\n"
        "Jobs: {reminders} reminders, {feedback} feedback requests, {sweeps} sweeps, {other} other\n"
        "<b>Next runs</b>\n{next}",
        "running": "running in this process",
        "standby": "standing by (another bot process runs the jobs)",
        "stopped": "not running",
        "health": "<b>Health</b>\nDatabase: {db}\nJob store: {store}\nScheduler: {scheduler}\nUptime: {uptime}\n"
        "Jobs since start: {executed} executed, {failed} failed, {missed} missed\n"
        "Reminders sent: {sent}; lateness p50 {p50}, max {max}\nLast sweeps: {sweeps}",
        "admins_title": "<b>Admins</b>\nOwners (ADMIN_IDS): {owners}\nAdded in chat: {added}\n\n"
        "Owners can add an admin with /admins add USER_ID, or by forwarding me a message from them "
        "after /admins add; remove with /admins remove USER_ID.",
        "admins_forward": "Forward me a message from the person to make them an admin (they must have "
        "started the bot), or send /cancel.",
        "admin_added": "✅ {who} is now an admin.",
        "admin_exists": "{who} is already an admin.",
        "admin_removed": "Removed {who} from admins.",
        "admin_not_found": "{who} is not an admin added in chat.",
        "owners_only": "Only owners (ADMIN_IDS) can change admins.",
        "owner_fixed": "Owners are set in ADMIN_IDS and cannot be removed here.",
        "never_talked": "That person has not started the bot yet; ask them to send /start first.",
        "forward_hidden": "Their privacy settings hide who they are; use /admins add USER_ID instead.",
        "audit_title": "<b>Audit log</b> ({total} entries, newest first)",
        "audit_none": "The audit log is empty.",
        "event_booked": "🆕 New booking: {service}, {date} {time} — {client}",
        "event_cancelled": "❌ Cancelled by the client: {service}, {date} {time} — {client}",
        "event_cancelled_by_admin": "❌ Cancelled by an admin: {service}, {date} {time} — {client}",
        "event_released": "⌛ Released, not confirmed in time: {service}, {date} {time} — {client}",
        "event_rescheduled": "🔁 Moved by the client: {service}, now {date} {time} — {client}",
        "btn_open": "📅 Open {date}",
        "event_low_rating": "⭐ Low rating {rating}/5: {service}, {date} {time} — {client}",
        "book_for_pick": "Whom to book for? Tap a client, or search: /book_for NAME, @username or id.",
        "book_for_none": "No such client. They need to have started the bot first.",
        "btn_reschedule": "🔁 Reschedule",
        "broadcast_ask": "Send me the message to broadcast — text, or a photo with a caption (forwarding works "
        "too). /cancel to stop.",
        "broadcast_wrong_kind": "Only text or a photo with a caption can be broadcast. Send another, or /cancel.",
        "broadcast_preview": "☝️ This is how clients will see it. Recipients: {count}. Send it?",
        "btn_broadcast_send": "✅ Send to {count}",
        "btn_broadcast_drop": "✖️ Cancel",
        "broadcast_dropped": "Broadcast cancelled; nothing was sent.",
        "broadcast_gone": "This broadcast was already sent or cancelled.",
        "broadcast_progress": "📣 Broadcasting: sent {sent} · blocked {blocked} · failed {failed} · left {left} "
        "(of {total})",
        "broadcast_final": "📣 Broadcast finished: sent {sent} · blocked {blocked} · failed {failed} · "
        "unknown {unknown} (of {total})",
        "broadcast_done": "✅ Broadcast finished. Sent: {sent}; blocked the bot: {blocked}; failed: {failed}; "
        "unknown (was being sent when the bot restarted, not repeated): {unknown}. Total: {total}.",
        "stats": "<b>Statistics {start} – {end}</b>\nBookings made: {made}\nCancelled: {cancelled} "
        "(by clients: {by_clients})\nCompleted: {completed}\nNo-shows: {no_shows} ({no_show_rate} of the visits with "
        "an outcome)\nConfirmed from a reminder: {confirmation_rate} of the visits\n"
        "Average rating: {rating} ({ratings} ratings)\n"
        "Busiest days: {days}\nBusiest hours: {hours}\nClients: {clients}, returning: {returning}",
        "stats_usage": "Usage: /stats, /stats 7d, or /stats FROM TO (YYYY-MM-DD or DD.MM); @NAME: one specialist's",
        "stats_specialist": "👤 {name}: made {made}, cancelled {cancelled}, completed {completed}, "
        "no-shows {no_show_rate}, confirmed {confirmation_rate}, ⭐ {rating}",
        "chart_title": "Bookings (up) and cancellations (down) per day, last 30 days",
        "feedback_title": "<b>Recent feedback</b>",
        "feedback_none": "No ratings yet.",
        "export_usage": "Usage: /export [FROM] [TO], dates as YYYY-MM-DD or DD.MM (default: the last 30 days "
        "and everything booked ahead).",
        "export_caption": "Bookings {start} – {end}: {count}",
        "services_title": "<b>Services</b> (✅ offered, ⏸ hidden; ⬆️ moves up)\n"
        "Add: /service_add Name; minutes; price; description\n"
        "Edit: /service_edit ID name|duration|price|description VALUE",
        "service_line": "{state} <code>{id}</code> {name} · {minutes}′{price}",
        "service_added": "✅ Added {name} ({minutes}′).",
        "too_long": "The {field} is too long: at most {limit} characters. Nothing was changed.",
        "field_name": "name",
        "field_price": "price",
        "field_description": "description",
        "field_reason": "reason",
        "field_note": "note",
        "service_edited": "✅ Saved: {name} ({minutes}′). Existing bookings keep their times.",
        "service_usage": "Usage: /service_add Name; minutes; price; description — or "
        "/service_edit ID name|duration|price|description|buffer VALUE (buffer: minutes kept free after it)",
    },
    "ru": {
        "menu": "<b>Администрирование</b>\n/today, /tomorrow, /day ГГГГ-ММ-ДД [ИМЯ] — расписание (одного)\n"
        "/staff — специалисты; /hours — часы работы; /dayoff ИМЯ ДНИ — выходные; /notices on|off\n"
        "/block ДЕНЬ [ДЕНЬ | ЧЧ:ММ-ЧЧ:ММ] [причина] [@ИМЯ] — закрыть время; /blocks — открыть\n"
        "/jobs — планировщик; /health — состояние бота\n/admins — администраторы; /audit — журнал изменений\n"
        "/services — услуги; /feedback — отзывы; /export [С] [ПО] — записи в CSV\n"
        "/stats [7d | С ПО] — цифры и график; /book_for [ИМЯ] — записать клиента\n"
        "/broadcast — сообщение всем клиентам\n"
        "/calendars — календари; /calendar_add [ИМЯ] — новый (всего бизнеса или специалиста)\n"
        "/client КЛИЕНТ — карточка клиента: история, заметки, запись закрыта или открыта; "
        "/forgive КЛИЕНТ — неявки клиента больше не считаются",
        "btn_today": "📅 Сегодня",
        "btn_tomorrow": "📅 Завтра",
        "btn_blocks": "⛔ Блокировки",
        "btn_jobs": "⏰ Задачи",
        "btn_health": "🩺 Состояние",
        "btn_audit": "📜 Журнал",
        "btn_book_for": "➕ Записать клиента",
        "btn_services": "💈 Услуги",
        "btn_feedback": "⭐ Отзывы",
        "btn_stats": "📊 Статистика",
        "btn_export": "📤 Выгрузка CSV",
        "btn_broadcast": "📣 Рассылка",
        "btn_admins": "👥 Администраторы",
        "day_title": "<b>{day}</b> — записей: {count}",
        "day_off": "Выходной.",
        "hours": "Работаем {hours}",
        "blocked_line": "⛔ {start}–{end} закрыто{reason}",
        "free_line": "Свободно: {times}",
        "no_free": "Свободного времени нет.",
        "attendance_legend": "✅ клиент подтвердил · ❔ ещё нет · ✔️ пришёл · 🚫 не пришёл "
        "(🚫N: сколько раз не приходил)",
        "forgive_usage": "Как: /forgive ID, @username или имя — неявки клиента перестают учитываться в MAX_NO_SHOWS.",
        "forgive_ambiguous": "Подходят несколько клиентов: укажите ID или @username.",
        "client_usage": "Как: /client ID, @username или имя — карточка клиента.",
        "client_pick": "Подходят несколько клиентов — чья карточка?",
        "card_title": "👤 {client}\nid <code>{id}</code> · с нами с {since}",
        "card_closed": "⛔ Запись в чате для клиента закрыта (с {since}). Администраторы по-прежнему могут "
        "записать его.",
        "card_counts": "Визитов: {visits}\nНеявок: {no_shows}{counting}\nОтменил клиент: {by_client} · отменили мы: "
        "{by_business} · снято без подтверждения: {released}\nОценок: {rated}{average}",
        "card_counting": " (в счёт лимита: {count})",
        "card_average": ", в среднем {average}★",
        "card_upcoming": "<b>Предстоящие записи</b>",
        "card_no_upcoming": "Предстоящих записей нет.",
        "card_notes": "<b>Заметки</b>",
        "card_more": "…и ещё {count}",
        "btn_card_note": "📝 Добавить заметку",
        "btn_card_close": "⛔ Закрыть запись",
        "btn_card_open": "✅ Открыть запись",
        "btn_card_forgive": "🙏 Простить неявки ({count})",
        "btn_card_book": "➕ Записать",
        "card_note_ask": "Напишите заметку о клиенте {client} (до {limit} символов). Команда или кнопка отменяют ввод.",
        "card_note_saved": "📝 Заметка сохранена.",
        "card_closed_now": "Запись для клиента закрыта.",
        "card_opened_now": "Запись для клиента открыта.",
        "card_unchanged": "Уже так.",
        "card_forgiven": "Прощено неявок: {count}.",
        "forgive_done": "Прощено: {client} (неявок: {count}). Клиент снова может записываться в чате.",
        "visit_came": "✔️ Отмечено: пришёл.",
        "visit_question": "🕒 {client} пришёл? {service}, {date} {time}",
        "btn_visit_came": "✅ Пришёл",
        "btn_visit_no_show": "🚫 Не пришёл",
        "visit_no_show": "🚫 Отмечено: не пришёл.",
        "feed_business": "Записи",
        "feed_everyone": "весь бизнес",
        "calendars_header": "<b>Календари</b> — подпишитесь на адрес в календаре телефона "
        "(записи за последние 30 дней и на 60 дней вперёд). Кто знает адрес, видит его записи: "
        "отзовите утёкший.",
        "calendars_none": "Календарей пока нет. /calendar_add — для всего бизнеса, /calendar_add ИМЯ — для "
        "специалиста.",
        "calendar_line": "• #{id} {whose}: <code>{url}</code>",
        "calendar_added": "📅 Новый календарь для: {whose}\n<code>{url}</code>\nДобавьте его в календарь телефона как "
        "подписку (Google Календарь: Другие календари → Добавить по URL; iPhone: Настройки → "
        "Календарь → Учётные записи → Подписной календарь).",
        "calendar_revoked": "Календарь #{id} ({whose}) отозван: его адрес теперь отвечает 404.",
        "calendar_no_public_url": "\n\n⚠️ Укажите PUBLIC_URL (и WEB_PORT), чтобы адреса были доступны: "
        "пока известен только путь.",
        "btn_calendar_revoke": "❌ Отозвать #{id}",
        "own_calendar": "📅 Ваши записи как календарь:\n<code>{url}</code>\nДобавьте его в календарь телефона как "
        "подписку. Если адрес утёк, попросите администратора отозвать его и отправьте /calendar ещё "
        "раз.",
        "page": "стр. {page}/{pages}",
        "bad_day": "Укажите дату: /day ГГГГ-ММ-ДД или /day ДД.ММ",
        "cancel_ask": "Отменить {service}, {date} в {time}, клиент {client}?\n"
        "Пришлите причину сообщением (клиент её увидит) или нажмите кнопку.",
        "btn_cancel_no_reason": "❌ Отменить без причины",
        "btn_keep": "↩️ Оставить",
        "cancelled_by_admin": "❌ Отменено: {service}, {date} в {time}, клиент {client}. Клиент уведомлён.",
        "client_cancelled_by_business": "К сожалению, ваша запись <b>{service}</b>, {date} в {time}, отменена "
        "нами.{reason}\nВыберите другое время: /book",
        "reason_suffix": "\nПричина: {reason}",
        "kept": "Оставлено: {service}, {date} в {time}, клиент {client}.",
        "block_usage": "Как закрыть время:\n/block 2026-12-31 — весь день\n/block 2026-12-24 2026-12-31 отпуск — "
        "несколько дней\n/block 2026-12-01 13:00-14:00 обед — часть дня\n"
        "/block 2026-12-01 учёба @Анна — только у одного специалиста",
        "blocked": "⛔ Закрыто {start} – {end}{reason}. Клиенты больше не видят это время.",
        "already_blocked": "⛔ {start} – {end}{reason} уже закрыто.",
        "conflicts": "\n\nВнутри есть записи ({count}) — оставьте или отмените каждую:",
        "conflicts_hours": "\n\nБудущие записи вне новых часов ({count}) — оставьте или отмените каждую:",
        "staff_title": "<b>Специалисты</b> — /staff_add, /staff_edit, /staff_link, /hours, /dayoff",
        "staff_line": "{state} {id}. <b>{name}</b> — {services}{linked}\n    {week}",
        "staff_all_services": "все услуги",
        "staff_services": "услуги {ids}",
        "staff_linked": " · 🔗 <code>{user}</code>",
        "staff_card": "{state} <b>{name}</b> (id {id})\n{description}💈 {services}\n🗓 {week}\n🔗 {linked}\n"
        "📅 Свои выходные: {own}",
        "staff_not_linked": "не привязан (/staff_link {id})",
        "staff_own_allowed": "может ставить сам",
        "staff_own_denied": "ставят только админы",
        "staff_usage": "Как:\n/staff_add Имя; all | номера услуг через запятую; описание\n"
        "/staff_edit ID name|description|services ЗНАЧЕНИЕ\n/staff_link ID [USER_ID] — или перешлите его сообщение",
        "staff_added": "✅ Добавлен специалист {name} (id {id}) с обычным графиком. Задайте его: /hours {name} …",
        "staff_edited": "✅ Сохранено: {name}.",
        "staff_unknown": "Нет специалиста «{name}». См. /staff.",
        "staff_ambiguous": "Под «{name}» подходят несколько специалистов: укажите полное имя.",
        "staff_last": "Последний специалист, к которому можно записаться, остаётся видимым.",
        "staff_bad_services": "Услуги: <code>all</code> или номера из /services через запятую.",
        "staff_forward": "Перешлите сообщение от специалиста (его собственное).",
        "staff_linked_done": "🔗 {name} привязан к <code>{user}</code>: /today покажет ему его день, "
        "он будет получать уведомления о своих записях.",
        "staff_unlinked": "✂️ {name} больше не привязан.",
        "btn_staff_hide": "🙈 Скрыть",
        "btn_staff_show": "👁 Показать",
        "btn_staff_link": "🔗 Привязать",
        "btn_staff_unlink": "✂️ Отвязать",
        "btn_staff_own_days_off": "📅 Свои выходные: переключить",
        "btn_staff_list": "⬅️ Специалисты",
        "hours_title": "<b>Часы работы</b>",
        "hours_usage": "Как:\n/hours ИМЯ пн-пт 09:00-13:00 14:00-18:00; сб 10:00-15:00; вс выходной\n"
        "/hours ИМЯ 2026-12-31 10:00-14:00 (одна дата)\n/dayoff ИМЯ 24.12-31.12 отпуск",
        "hours_bad": "Не удалось разобрать: {error}",
        "hours_saved": "✅ Часы {name}:\n{week}",
        "dates_saved": "✅ {name}, {first}–{last}: {hours}{note}",
        "dayoff_usage": "Как: /dayoff [ИМЯ] 24.12-31.12 [заметка] (день или диапазон дней)",
        "day_off_short": "выходной",
        "notices_on": "🔔 Вы получаете уведомления о каждой записи.",
        "notices_off": "🔕 Уведомления о каждой записи выключены (о своих, как специалист, — приходят).",
        "notices_usage": "Как: /notices on | off",
        "own_only": "Менять можно только свои дни, и только если админ разрешил.",
        "own_in_the_way": "Не изменено: записи ({count}) оказались бы вне ваших часов. Попросите админа их перенести.",
        "blocks_none": "Предстоящих блокировок нет.",
        "blocks_title": "<b>Закрытое время</b>",
        "btn_unblock": "✅ Открыть {start}",
        "unblocked": "Открыто {start} – {end}.",
        "gone": "Этого уже нет.",
        "jobs": "<b>Планировщик</b>: {state}\nХранилище задач: {store} — {reason}\n"
        "Задачи: напоминаний {reminders}, запросов отзыва {feedback}, проверок {sweeps}, прочих {other}\n"
        "<b>Ближайшие запуски</b>\n{next}",
        "running": "работает в этом процессе",
        "standby": "в резерве (задачи выполняет другой процесс бота)",
        "stopped": "не запущен",
        "health": "<b>Состояние</b>\nБаза данных: {db}\nХранилище задач: {store}\nПланировщик: {scheduler}\n"
        "Время работы: {uptime}\nЗадачи с запуска: выполнено {executed}, ошибок {failed}, пропущено {missed}\n"
        "Напоминаний отправлено: {sent}; опоздание p50 {p50}, макс. {max}\nПоследние проверки: {sweeps}",
        "admins_title": "<b>Администраторы</b>\nВладельцы (ADMIN_IDS): {owners}\nДобавлены в чате: {added}\n\n"
        "Владелец может добавить администратора: /admins add ID или переслать мне сообщение человека после "
        "/admins add; удалить: /admins remove ID.",
        "admins_forward": "Перешлите мне сообщение человека, которого нужно сделать администратором (он должен "
        "уже написать боту), или отправьте /cancel.",
        "admin_added": "✅ {who} теперь администратор.",
        "admin_exists": "{who} уже администратор.",
        "admin_removed": "{who} больше не администратор.",
        "admin_not_found": "{who} не среди добавленных в чате администраторов.",
        "owners_only": "Менять администраторов могут только владельцы (ADMIN_IDS).",
        "owner_fixed": "Владельцы задаются в ADMIN_IDS, здесь их удалить нельзя.",
        "never_talked": "Этот человек ещё не писал боту; попросите его отправить /start.",
        "forward_hidden": "Настройки приватности скрывают отправителя; используйте /admins add ID.",
        "audit_title": "<b>Журнал изменений</b> (записей: {total}, новые сверху)",
        "audit_none": "Журнал пуст.",
        "event_booked": "🆕 Новая запись: {service}, {date} {time} — {client}",
        "event_cancelled": "❌ Клиент отменил: {service}, {date} {time} — {client}",
        "event_cancelled_by_admin": "❌ Админ отменил: {service}, {date} {time} — {client}",
        "event_released": "⌛ Освобождено, не подтверждено вовремя: {service}, {date} {time} — {client}",
        "event_rescheduled": "🔁 Клиент перенёс: {service}, теперь {date} {time} — {client}",
        "btn_open": "📅 Открыть {date}",
        "event_low_rating": "⭐ Низкая оценка {rating}/5: {service}, {date} {time} — {client}",
        "book_for_pick": "Кого записать? Выберите клиента или найдите: /book_for ИМЯ, @username или ID.",
        "book_for_none": "Такого клиента нет. Сначала он должен написать боту /start.",
        "btn_reschedule": "🔁 Перенести",
        "broadcast_ask": "Пришлите сообщение для рассылки — текст или фото с подписью (можно переслать). "
        "/cancel — отмена.",
        "broadcast_wrong_kind": "Разослать можно только текст или фото с подписью. Пришлите другое или /cancel.",
        "broadcast_preview": "☝️ Так его увидят клиенты. Получателей: {count}. Отправить?",
        "btn_broadcast_send": "✅ Отправить {count}",
        "btn_broadcast_drop": "✖️ Отмена",
        "broadcast_dropped": "Рассылка отменена, ничего не отправлено.",
        "broadcast_gone": "Эта рассылка уже отправлена или отменена.",
        "broadcast_progress": "📣 Рассылка: отправлено {sent} · заблокировали {blocked} · ошибок {failed} · "
        "осталось {left} (из {total})",
        "broadcast_final": "📣 Рассылка завершена: отправлено {sent} · заблокировали {blocked} · ошибок {failed} · "
        "неизвестно {unknown} (из {total})",
        "broadcast_done": "✅ Рассылка завершена. Отправлено: {sent}; заблокировали бота: {blocked}; ошибок: {failed}; "
        "неизвестно (отправлялось в момент перезапуска, не повторялось): {unknown}. Всего: {total}.",
        "stats": "<b>Статистика {start} – {end}</b>\nНовых записей: {made}\nОтменено: {cancelled} "
        "(клиентами: {by_clients})\nСостоялось: {completed}\nНеявок: {no_shows} ({no_show_rate} визитов с "
        "отметкой)\nПодтверждено из напоминания: {confirmation_rate} визитов\n"
        "Средняя оценка: {rating} (оценок: {ratings})\n"
        "Самые загруженные дни: {days}\nЧасы: {hours}\nКлиентов: {clients}, постоянных: {returning}",
        "stats_usage": "Как: /stats, /stats 7d или /stats С ПО (ГГГГ-ММ-ДД или ДД.ММ); @ИМЯ — по одному специалисту",
        "stats_specialist": "👤 {name}: записей {made}, отмен {cancelled}, состоялось {completed}, "
        "неявок {no_show_rate}, подтверждено {confirmation_rate}, ⭐ {rating}",
        "chart_title": "Bookings (up) and cancellations (down) per day, last 30 days",
        "feedback_title": "<b>Последние отзывы</b>",
        "feedback_none": "Оценок пока нет.",
        "export_usage": "Как выгрузить: /export [С] [ПО], даты ГГГГ-ММ-ДД или ДД.ММ (по умолчанию — последние "
        "30 дней и все будущие записи).",
        "export_caption": "Записи {start} – {end}: {count}",
        "services_title": "<b>Услуги</b> (✅ доступна, ⏸ скрыта; ⬆️ — выше)\n"
        "Добавить: /service_add Название; минуты; цена; описание\n"
        "Изменить: /service_edit ID name|duration|price|description ЗНАЧЕНИЕ",
        "service_line": "{state} <code>{id}</code> {name} · {minutes}′{price}",
        "service_added": "✅ Добавлено: {name} ({minutes}′).",
        "too_long": "Слишком длинно ({field}): не больше {limit} символов. Ничего не изменено.",
        "field_name": "название",
        "field_price": "цена",
        "field_description": "описание",
        "field_reason": "причина",
        "field_note": "заметка",
        "service_edited": "✅ Сохранено: {name} ({minutes}′). Уже сделанные записи не меняются.",
        "service_usage": "Как: /service_add Название; минуты; цена; описание — или "
        "/service_edit ID name|duration|price|description|buffer ЗНАЧЕНИЕ (buffer: минуты паузы после услуги)",
    },
}


def admin_text(lang: Lang, key: str, **values: object) -> str:
    text = ADMIN_TEXTS[lang][key]
    return text.format(**values) if values else text


def too_long(lang: Lang, error: InputTooLong) -> str:
    return admin_text(lang, "too_long", field=admin_text(lang, f"field_{error.field}"), limit=error.limit)
