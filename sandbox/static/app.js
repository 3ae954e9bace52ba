"use strict";
// The sandbox's chat page. Message HTML comes from the server already made safe (emulator.render_html).

const state = { people: [], current: null, unread: new Set() };
const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  if (!response.ok) throw new Error(await response.text());
  return response.status === 204 ? null : response.json();
}

function person() {
  return state.people.find((p) => p.id === state.current);
}

function renderPeople() {
  const nav = $("people");
  nav.replaceChildren(...state.people.map((p) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = p.role === "owner" ? `${p.name} (owner)` : p.name;
    button.setAttribute("aria-pressed", String(p.id === state.current));
    button.dataset.person = p.id;
    if (state.unread.has(p.id)) button.classList.add("unread");
    button.addEventListener("click", () => open(p.id));
    return button;
  }));
  const me = person();
  if (me) {
    $("name").value = me.name;
    $("language").value = me.language;
  }
}

function renderMessage(message) {
  const item = document.createElement("article");
  item.className = `message ${message.from}`;
  item.dataset.id = message.id;
  if (message.file) {
    if (message.file.kind === "photo") {
      const image = document.createElement("img");
      image.src = message.file.url;
      image.alt = message.file.name;
      image.addEventListener("load", () => { $("chat").scrollTop = $("chat").scrollHeight; });
      item.append(image);
    } else {
      const link = document.createElement("a");
      link.className = "file";
      link.href = message.file.url;
      link.download = message.file.name;
      link.textContent = `📎 ${message.file.name}`;
      item.append(link);
    }
  }
  const body = document.createElement("div");
  body.innerHTML = message.html;
  body.querySelectorAll(".spoiler").forEach((s) => s.addEventListener("click", () => s.classList.add("shown")));
  item.append(body);
  if (message.edited) {
    const mark = document.createElement("span");
    mark.className = "edited";
    mark.textContent = "edited";
    body.append(mark);
  }
  if (message.buttons.length) {
    const rows = document.createElement("div");
    rows.className = "inline";
    for (const row of message.buttons) {
      const line = document.createElement("div");
      line.className = "row";
      for (const button of row) line.append(inlineButton(message.id, button));
      rows.append(line);
    }
    item.append(rows);
  }
  return item;
}

function inlineButton(messageId, button) {
  if (button.url) {
    const link = document.createElement("a");
    link.href = button.url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = button.text;
    return link;
  }
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = button.text;
  if (button.data !== undefined) {
    element.addEventListener("click", () =>
      api(`/api/chats/${state.current}/clicks`, { message_id: messageId, data: button.data }).catch(showError));
  }
  return element;
}

function renderKeyboard(rows) {
  const keyboard = $("keyboard");
  keyboard.hidden = !rows;
  keyboard.replaceChildren(...(rows || []).map((row) => {
    const line = document.createElement("div");
    line.className = "row";
    for (const text of row) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.addEventListener("click", () => send(text));
      line.append(button);
    }
    return line;
  }));
}

function upsert(message) {
  const chat = $("chat");
  const fresh = renderMessage(message);
  const old = chat.querySelector(`[data-id="${message.id}"]`);
  if (old) {
    old.replaceWith(fresh);
    return;
  }
  const later = [...chat.children].find((child) => Number(child.dataset.id) > message.id);
  chat.insertBefore(fresh, later || null);
  chat.scrollTop = chat.scrollHeight;
}

async function open(id) {
  state.current = id;
  state.unread.delete(id);
  renderPeople();
  const { messages, keyboard } = await api(`/api/chats/${id}`);
  if (state.current !== id) return;
  $("chat").replaceChildren(...messages.map(renderMessage));
  $("chat").scrollTop = $("chat").scrollHeight;
  renderKeyboard(keyboard);
  $("text").focus();
}

async function send(text) {
  await api(`/api/chats/${state.current}/messages`, { text }).catch(showError);
}

let toastTimer;
function toast(text) {
  const element = $("toast");
  element.textContent = text;
  element.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { element.hidden = true; }, 3000);
}

function alertBox(text) {
  $("alert-text").textContent = text;
  $("alert").showModal();
}

function showError(error) {
  toast(`⚠️ ${error.message || error}`);
}

async function changeMe() {
  const me = person();
  const changed = await api(`/api/people/${me.id}`, { name: $("name").value, language: $("language").value })
    .catch(showError);
  if (changed) {
    Object.assign(me, changed);
    renderPeople();
  }
}

function listen() {
  const events = new EventSource("/api/events");
  let opened = false;
  events.addEventListener("open", () => {
    if (opened) start().catch(showError); // back after a reset (or a restart): read everything again
    opened = true;
  });
  events.addEventListener("message", (event) => {
    const { chat, message, keyboard } = JSON.parse(event.data);
    if (chat === state.current) {
      upsert(message);
      renderKeyboard(keyboard);
    } else {
      state.unread.add(chat);
      renderPeople();
    }
  });
  events.addEventListener("answer", (event) => {
    const { chat, text, alert } = JSON.parse(event.data);
    if (chat !== state.current || !text) return;
    if (alert) alertBox(text); else toast(text);
  });
}

async function start() {
  state.people = await api("/api/people");
  state.unread.clear();
  await open(state.current ?? state.people[0].id);
}

document.addEventListener("DOMContentLoaded", () => {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    $("text").value = "";
    send(text);
  });
  $("name").addEventListener("change", changeMe);
  $("language").addEventListener("change", changeMe);
  $("reset").addEventListener("click", async () => {
    if (!confirm("Forget every booking and message of the sandbox?")) return;
    $("reset").disabled = true;
    try {
      await api("/api/reset", {});
      $("chat").replaceChildren();
      renderKeyboard(null);
      toast("Starting again on an empty database…");
    } catch (error) {
      showError(error);
    } finally {
      $("reset").disabled = false;
    }
  });
  listen();
  start().catch(showError);
});
