// The demo web chat: a Telegram-like client of the sandbox Telegram server (through /api/* of sandbox.webchat).
// Vanilla JS, no build step. Message text is rendered from Telegram's entities into DOM nodes (textContent only):
// nothing the bot sends is ever inserted as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = {
    config: null,
    user: null,          // the DemoUser being played
    messages: new Map(), // message_id -> view
    seq: 0,
    instance: null,
    commands: [],
    replyKeyboard: null, // {keyboard, one_time_keyboard, ...} or null
    keyboardHidden: false,
    pending: new Map(),  // callback_id -> button element
    source: null,        // the EventSource
    typingTimer: null,
    loadToken: 0,
  };
  const AVATAR_COLORS = { partner: "#e17076", admin: "#7bc862", new: "#65aadd" };

  // ---------------------------------------------------------------- HTTP
  async function api(path, options = {}) {
    const init = { method: options.method || "GET", headers: {} };
    if (options.json !== undefined) {
      init.method = options.method || "POST";
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.json);
    } else if (options.form) {
      init.method = "POST";
      init.body = options.form;
    }
    let reply;
    try {
      reply = await fetch(path, init);
    } catch (error) {
      throw new Error("The demo server is not answering. Is `make demo` still running?");
    }
    let body = null;
    try { body = await reply.json(); } catch (error) { body = null; }
    if (!reply.ok || !body || body.ok === false) {
      throw new Error((body && body.error) || `HTTP ${reply.status}`);
    }
    return body;
  }

  // ---------------------------------------------------------------- toasts, alerts
  let toastTimer = null;
  function toast(text, kind) {
    const el = $("toast");
    el.textContent = text;
    el.className = "toast" + (kind ? " " + kind : "");
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, Math.min(6000, 2200 + text.length * 40));
  }
  function alertBox(text) {
    $("alert-text").textContent = text;
    $("alert").hidden = false;
    $("alert-ok").focus();
  }
  $("alert-ok").addEventListener("click", () => { $("alert").hidden = true; $("text").focus(); });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      $("alert").hidden = true;
      $("viewer").hidden = true;
      hideCommandMenu();
    }
  });
  $("viewer").addEventListener("click", () => { $("viewer").hidden = true; });

  // ---------------------------------------------------------------- rendering text with entities
  const URL_RE = /\b(?:https?:\/\/|t\.me\/)[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

  function safeHref(url) {
    const value = String(url || "").trim();
    if (/^(https?:|tg:)/i.test(value)) return value;
    if (/^t\.me\//i.test(value)) return "https://" + value;
    return null; // javascript:, data: ... never become links
  }

  function deepLinkStart(url) {
    // https://t.me/<this bot>?start=CODE (or tg://resolve?domain=<bot>&start=CODE): a deep link into this chat
    const bot = state.config && state.config.bot && state.config.bot.username;
    if (!bot) return null;
    const m = /^(?:https?:\/\/)?(?:t\.me|telegram\.me)\/([A-Za-z0-9_]+)\?(?:.*&)?start=([A-Za-z0-9_-]{1,64})/i.exec(url)
      || /^tg:\/\/resolve\?domain=([A-Za-z0-9_]+)&(?:.*&)?start=([A-Za-z0-9_-]{1,64})/i.exec(url);
    if (m && m[1].toLowerCase() === bot.toLowerCase()) return m[2];
    return null;
  }

  function makeLink(href, label) {
    const a = document.createElement("a");
    a.textContent = label;
    const safe = safeHref(href);
    if (safe) {
      a.href = safe;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      const start = deepLinkStart(safe);
      if (start) {
        a.addEventListener("click", (event) => { event.preventDefault(); openDeepLink(start); });
        a.title = "Open the bot as a new user with this link";
      }
    }
    return a;
  }

  function appendPlain(parent, text) {
    // Telegram apps turn bare links into links; so do we (as DOM nodes).
    let last = 0;
    text.replace(URL_RE, (match, offset) => {
      if (offset > last) parent.appendChild(document.createTextNode(text.slice(last, offset)));
      parent.appendChild(makeLink(match, match));
      last = offset + match.length;
      return match;
    });
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function entityElement(entity, slice) {
    let el;
    switch (entity.type) {
      case "bold": el = document.createElement("strong"); break;
      case "italic": el = document.createElement("em"); break;
      case "underline": el = document.createElement("u"); break;
      case "strikethrough": el = document.createElement("s"); break;
      case "code": el = document.createElement("code"); break;
      case "pre": {
        el = document.createElement("pre");
        const code = document.createElement("code");
        if (entity.language) code.className = "language-" + String(entity.language).replace(/[^\w-]/g, "");
        el.appendChild(code);
        return { outer: el, inner: code, linkify: false };
      }
      case "text_link": el = makeLink(entity.url, ""); return { outer: el, inner: el, linkify: false };
      case "url": el = makeLink(slice, ""); return { outer: el, inner: el, linkify: false };
      case "email": el = makeLink("mailto:" + slice, ""); el.removeAttribute("target"); return { outer: el, inner: el, linkify: false };
      case "spoiler":
        el = document.createElement("span");
        el.className = "spoiler";
        el.title = "Spoiler: click to show";
        el.addEventListener("click", () => el.classList.add("shown"));
        break;
      case "blockquote":
      case "expandable_blockquote": el = document.createElement("blockquote"); break;
      case "bot_command":
        el = document.createElement("span");
        el.className = "cmd";
        el.addEventListener("click", () => sendText(slice.split("@")[0]));
        return { outer: el, inner: el, linkify: false };
      default: el = document.createElement("span");
    }
    return { outer: el, inner: el, linkify: entity.type !== "code" };
  }

  // Entities are in UTF-16 code units, the unit of JavaScript strings. Telegram's HTML nests them properly.
  function renderEntities(text, entities) {
    const root = document.createDocumentFragment();
    const list = (entities || []).filter((e) => e.length > 0)
      .slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
    function build(parent, start, end, items, linkify) {
      let pos = start;
      let i = 0;
      while (i < items.length) {
        const e = items[i];
        const eStart = Math.max(e.offset, pos);
        const eEnd = Math.min(e.offset + e.length, end);
        const children = [];
        let j = i + 1;
        while (j < items.length && items[j].offset < e.offset + e.length) { children.push(items[j]); j++; }
        if (eStart >= eEnd) { i = j; continue; }
        if (eStart > pos) add(parent, text.slice(pos, eStart), linkify);
        const made = entityElement(e, text.slice(eStart, eEnd));
        build(made.inner, eStart, eEnd, children, linkify && made.linkify);
        parent.appendChild(made.outer);
        pos = eEnd;
        i = j;
      }
      if (pos < end) add(parent, text.slice(pos, end), linkify);
    }
    function add(parent, chunk, linkify) {
      if (linkify) appendPlain(parent, chunk);
      else parent.appendChild(document.createTextNode(chunk));
    }
    build(root, 0, text.length, list, true);
    return root;
  }

  // ---------------------------------------------------------------- messages
  function timeOf(unix) {
    const d = new Date(unix * 1000);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  function dayOf(unix) {
    const d = new Date(unix * 1000);
    const today = new Date();
    if (d.toDateString() === today.toDateString()) return "Today";
    return d.toLocaleDateString([], { day: "numeric", month: "long" });
  }
  function sizeOf(bytes) {
    if (bytes == null) return "";
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }
  function fileUrl(file, inline) {
    const q = new URLSearchParams({ user: state.user.user_id, file_id: file.file_id });
    if (inline) q.set("inline", "1");
    return "/api/file?" + q.toString();
  }

  function renderMessage(m) {
    const row = document.createElement("div");
    row.className = "msg " + (m.from === "bot" ? "bot" : "user");
    row.dataset.id = m.message_id;
    row.dataset.date = m.date;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    row.appendChild(bubble);

    if (m.kind === "photo" && m.file) {
      const img = document.createElement("img");
      img.className = "photo";
      img.alt = m.caption || "photo";
      img.loading = "lazy";
      img.src = fileUrl(m.file, true);
      img.addEventListener("click", () => { $("viewer-img").src = img.src; $("viewer").hidden = false; });
      bubble.appendChild(img);
    } else if (m.kind === "document" && m.file) {
      const doc = document.createElement("div");
      doc.className = "doc";
      const name = m.file.file_name || "file";
      const icon = document.createElement("a");
      icon.className = "doc-icon";
      icon.textContent = (name.split(".").pop() || "file").slice(0, 4);
      const info = document.createElement("div");
      const title = document.createElement("div");
      title.className = "doc-name";
      title.textContent = name;
      const size = document.createElement("div");
      size.className = "doc-size";
      size.appendChild(document.createTextNode(sizeOf(m.file.file_size) + (m.file.available ? " · " : "")));
      if (m.file.available) {
        const link = document.createElement("a");
        link.className = "download";
        link.textContent = "Download";
        link.href = fileUrl(m.file, false);
        link.download = name;
        icon.href = link.href;
        icon.download = name;
        size.appendChild(link);
      }
      info.append(title, size);
      doc.append(icon, info);
      bubble.appendChild(doc);
    }
    let body = m.text != null ? m.text : m.caption;
    let entities = m.text != null ? m.entities : m.caption_entities;
    if (m.from === "user" && body && /^\/start \S+$/.test(body)) {
      body = "/start"; // as Telegram apps show a deep link's start (the bot gets the parameter)
      entities = [{ type: "bot_command", offset: 0, length: 6 }];
    }
    const text = document.createElement("div");
    text.className = "text";
    if (body) text.appendChild(renderEntities(body, entities));
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = (m.edit_date ? "edited " : "") + timeOf(m.date);
    text.appendChild(meta);
    bubble.appendChild(text);

    if (m.inline_keyboard && m.inline_keyboard.length) {
      const kb = document.createElement("div");
      kb.className = "ikb";
      m.inline_keyboard.forEach((buttons, r) => {
        const line = document.createElement("div");
        line.className = "ikb-row";
        buttons.forEach((b, c) => line.appendChild(inlineButton(m, b, r, c)));
        kb.appendChild(line);
      });
      row.appendChild(kb);
    }
    return row;
  }

  function inlineButton(m, b, r, c) {
    if (b.type === "url" && b.url) {
      const a = makeLink(b.url, b.text);
      a.className = "ikb-btn";
      const ext = document.createElement("span");
      ext.className = "ext";
      ext.textContent = "↗";
      a.appendChild(ext);
      return a;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "ikb-btn";
    button.textContent = b.text;
    if (b.type === "copy_text") {
      button.addEventListener("click", () => copyText(b.copy_text || "", button).then(() => toast("Copied")));
    } else if (b.type === "callback_data") {
      button.addEventListener("click", () => press(m.message_id, r, c, b.text, button));
    } else {
      button.addEventListener("click", () => toast("This kind of button does nothing in the demo"));
    }
    return button;
  }

  function nearBottom() {
    const box = $("messages");
    return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  }
  function scrollToBottom() {
    const box = $("messages");
    box.scrollTop = box.scrollHeight;
  }

  function insertSorted(el) {
    // Right after the last message with a smaller id (ids grow with time), with a day separator where the day changes.
    const box = $("messages");
    const id = Number(el.dataset.id);
    const earlier = Array.from(box.querySelectorAll(".msg")).filter((row) => Number(row.dataset.id) < id).pop() || null;
    let anchor = earlier ? earlier.nextSibling : box.firstChild;
    const day = dayOf(Number(el.dataset.date));
    if (!earlier || dayOf(Number(earlier.dataset.date)) !== day) {
      if (anchor && anchor.classList && anchor.classList.contains("day") && anchor.textContent === day) {
        anchor = anchor.nextSibling;
      } else {
        const sep = document.createElement("div");
        sep.className = "day";
        sep.textContent = day;
        box.insertBefore(sep, anchor);
      }
    }
    box.insertBefore(el, anchor);
  }

  function showMessage(view, { flash = false } = {}) {
    if (!view || view.deleted) return;
    const stick = nearBottom();
    const old = document.querySelector(`.msg[data-id="${view.message_id}"]`);
    state.messages.set(view.message_id, view);
    const el = renderMessage(view);
    if (flash) el.classList.add("flash");
    if (old) old.replaceWith(el);
    else insertSorted(el);
    $("empty-note") && $("empty-note").remove();
    if (view.from === "bot" && view.reply_markup) applyReplyMarkup(view.reply_markup);
    updateStartButton();
    if (stick || view.from === "user") scrollToBottom();
  }

  function removeMessage(id) {
    state.messages.delete(id);
    const el = document.querySelector(`.msg[data-id="${id}"]`);
    if (el) {
      const prev = el.previousElementSibling;
      const next = el.nextElementSibling;
      el.remove();
      if (prev && prev.classList.contains("day") && (!next || next.classList.contains("day"))) prev.remove();
    }
    updateStartButton();
  }

  function renderEmpty() {
    const box = $("messages");
    if (state.messages.size || $("empty-note")) return;
    const note = document.createElement("div");
    note.className = "empty";
    note.id = "empty-note";
    const who = state.user;
    note.textContent = who && who.start
      ? "You opened an invite link. Press START below to begin, as a Telegram app does."
      : "No messages here yet. Press START to talk to the bot.";
    box.appendChild(note);
  }

  // ---------------------------------------------------------------- reply keyboards, composer
  function applyReplyMarkup(markup) {
    if (markup.keyboard) {
      state.replyKeyboard = markup;
      state.keyboardHidden = false;
    } else if (markup.remove_keyboard) {
      state.replyKeyboard = null;
    }
    $("text").placeholder = (markup.input_field_placeholder) || "Message";
    renderReplyKeyboard();
  }

  function renderReplyKeyboard() {
    const box = $("reply-keyboard");
    box.textContent = "";
    const kb = state.replyKeyboard;
    $("kbd-btn").hidden = !kb;
    if (!kb || state.keyboardHidden) { box.hidden = true; return; }
    kb.keyboard.forEach((row) => {
      const line = document.createElement("div");
      line.className = "rk-row";
      row.forEach((label) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "rk-btn";
        b.textContent = label;
        b.addEventListener("click", () => {
          if (kb.one_time_keyboard) { state.keyboardHidden = true; renderReplyKeyboard(); }
          sendText(label);
        });
        line.appendChild(b);
      });
      box.appendChild(line);
    });
    box.hidden = false;
  }
  $("kbd-btn").addEventListener("click", () => { state.keyboardHidden = !state.keyboardHidden; renderReplyKeyboard(); });

  function updateStartButton() {
    const empty = state.messages.size === 0;
    $("start-btn").hidden = !empty;
    $("composer").hidden = empty;
    if (empty) renderEmpty();
  }
  $("start-btn").addEventListener("click", () => {
    const start = state.user && state.user.start;
    sendText(start ? "/start " + start : "/start");
  });

  async function sendText(text) {
    if (!state.user || !text.trim()) return;
    hideCommandMenu();
    try {
      await api("/api/send", { json: { user: state.user.user_id, text } });
    } catch (error) {
      toast(error.message, "error");
    }
  }

  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("text");
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    updateSendButton();
    sendText(text);
    input.focus();
  });
  function updateSendButton() { $("send-btn").disabled = !$("text").value.trim(); }
  $("text").addEventListener("input", () => {
    updateSendButton();
    const value = $("text").value;
    if (value.startsWith("/") && !value.includes(" ")) showCommandMenu(value.slice(1));
    else hideCommandMenu();
  });

  async function press(messageId, row, column, text, button) {
    button.classList.add("pending");
    try {
      const reply = await api("/api/press", { json: { user: state.user.user_id, message_id: messageId, row, column, text } });
      state.pending.set(reply.callback_id, button);
      setTimeout(() => { button.classList.remove("pending"); state.pending.delete(reply.callback_id); }, 8000);
    } catch (error) {
      button.classList.remove("pending");
      toast(error.message, "error");
    }
  }

  // ---------------------------------------------------------------- the command menu
  function showCommandMenu(filter) {
    const menu = $("command-menu");
    menu.textContent = "";
    const items = state.commands.filter((c) => !filter || c.command.startsWith(filter.toLowerCase()));
    if (!items.length) { hideCommandMenu(); return; }
    items.forEach((c) => {
      const b = document.createElement("button");
      b.type = "button";
      b.setAttribute("role", "menuitem");
      const name = document.createElement("span");
      name.className = "c-name";
      name.textContent = "/" + c.command;
      const desc = document.createElement("span");
      desc.className = "c-desc";
      desc.textContent = c.description;
      b.append(name, desc);
      b.addEventListener("click", () => { $("text").value = ""; updateSendButton(); sendText("/" + c.command); });
      menu.appendChild(b);
    });
    menu.hidden = false;
    $("menu-btn").setAttribute("aria-expanded", "true");
  }
  function hideCommandMenu() {
    $("command-menu").hidden = true;
    $("menu-btn").setAttribute("aria-expanded", "false");
  }
  $("menu-btn").addEventListener("click", (event) => {
    event.stopPropagation();
    if ($("command-menu").hidden) showCommandMenu("");
    else hideCommandMenu();
  });
  document.addEventListener("click", (event) => {
    if (!$("command-menu").contains(event.target) && event.target !== $("menu-btn")) hideCommandMenu();
  });

  // ---------------------------------------------------------------- uploads
  $("attach-btn").addEventListener("click", () => $("file-input").click());
  $("file-input").addEventListener("change", async () => {
    const file = $("file-input").files[0];
    $("file-input").value = "";
    if (!file || !state.user) return;
    const form = new FormData();
    form.append("user", String(state.user.user_id));
    form.append("file", file, file.name);
    setStatus("sending a file…", true);
    try {
      await api("/api/upload", { form });
    } catch (error) {
      toast(error.message, "error");
    } finally {
      setStatus("bot");
    }
  });

  // ---------------------------------------------------------------- live updates
  function setStatus(text, busy) {
    const el = $("bot-status");
    el.textContent = text;
    el.classList.toggle("busy", !!busy);
  }

  function handleEvent(event) {
    if (event.seq) state.seq = Math.max(state.seq, event.seq);
    switch (event.type) {
      case "message":
        showMessage(event.message, { flash: event.message && event.message.from === "bot" });
        if (event.message && event.message.from === "bot") setStatus("bot");
        break;
      case "edit": showMessage(event.message, { flash: true }); break;
      case "delete": removeMessage(event.message_id); break;
      case "callback_answer": {
        const button = state.pending.get(event.callback_id);
        if (button) { button.classList.remove("pending"); state.pending.delete(event.callback_id); }
        if (event.text) {
          if (event.show_alert) alertBox(event.text);
          else toast(event.text);
        }
        if (event.url) {
          const start = deepLinkStart(event.url);
          if (start) openDeepLink(start);
        }
        break;
      }
      case "action": {
        const words = { typing: "typing…", upload_document: "sending a file…", upload_photo: "sending a photo…" };
        setStatus(words[event.action] || "busy…", true);
        clearTimeout(state.typingTimer);
        state.typingTimer = setTimeout(() => setStatus("bot"), 5000);
        break;
      }
      default: break;
    }
  }

  function listen() {
    if (state.source) state.source.close();
    const q = new URLSearchParams({ user: state.user.user_id, after: state.seq });
    const source = new EventSource("/api/events?" + q.toString());
    state.source = source;
    source.onmessage = (message) => {
      if (source !== state.source) return;
      try { handleEvent(JSON.parse(message.data)); } catch (error) { console.error(error); }
    };
    source.addEventListener("hello", (message) => {
      const { instance } = JSON.parse(message.data);
      if (state.instance && instance && instance !== state.instance) loadChat(); // a restarted demo: read again
    });
    source.addEventListener("offline", () => setStatus("connecting…", true));
    source.onerror = () => setStatus("connecting…", true);
    source.onopen = () => setStatus("bot");
  }

  // ---------------------------------------------------------------- users and the chat
  async function loadChat() {
    const token = ++state.loadToken;
    const chat = await api("/api/chat?user=" + encodeURIComponent(state.user.user_id));
    if (token !== state.loadToken) return;
    state.messages.clear();
    state.pending.clear();
    state.replyKeyboard = null;
    state.keyboardHidden = false;
    state.seq = chat.seq;
    state.instance = chat.instance;
    state.commands = chat.commands || [];
    $("messages").textContent = "";
    $("bot-name").textContent = chat.bot.first_name || "Bot";
    $("bot-name").title = "@" + (chat.bot.username || "");
    chat.messages.forEach((m) => showMessage(m));
    $("text").placeholder = "Message";
    renderReplyKeyboard();
    updateStartButton();
    scrollToBottom();
    listen();
  }

  function userName(u) { return `${u.first_name} · ${u.label}`; }

  function renderUsers() {
    const list = $("users");
    const select = $("user-select");
    list.textContent = "";
    select.textContent = "";
    state.config.users.forEach((u) => {
      const card = document.createElement("button");
      card.type = "button";
      card.className = "user-card";
      card.setAttribute("role", "radio");
      card.setAttribute("aria-checked", String(state.user && u.user_id === state.user.user_id));
      card.dataset.user = u.user_id;
      card.dataset.role = u.role;
      const av = document.createElement("span");
      av.className = "uavatar";
      av.style.background = AVATAR_COLORS[u.role] || "#8e99a4";
      av.textContent = u.first_name.slice(0, 1);
      const info = document.createElement("span");
      const name = document.createElement("div");
      name.className = "uname";
      name.textContent = userName(u);
      const note = document.createElement("div");
      note.className = "unote";
      note.textContent = `${u.note} · id ${u.user_id}`;
      info.append(name, note);
      card.append(av, info);
      card.addEventListener("click", () => { switchUser(u.user_id); closeGuideOnPhone(); });
      list.appendChild(card);

      const option = document.createElement("option");
      option.value = u.user_id;
      option.textContent = userName(u);
      option.selected = state.user && u.user_id === state.user.user_id;
      select.appendChild(option);
    });
    const option = document.createElement("option");
    option.value = "new";
    option.textContent = "🆕 A new seller…";
    select.appendChild(option);
    $("new-user").hidden = false;
  }

  async function switchUser(userId) {
    const user = state.config.users.find((u) => u.user_id === Number(userId));
    if (!user) return;
    state.user = user;
    const url = new URL(location.href);
    url.searchParams.set("user", user.user_id);
    url.searchParams.delete("start");
    history.replaceState(null, "", url.toString());
    renderUsers();
    try {
      await loadChat();
    } catch (error) {
      toast(error.message, "error");
    }
  }

  async function newUser(start) {
    setStatus(start ? "opening the invite link…" : "the admin is creating an invite…", true);
    try {
      const reply = await api("/api/new-user", { json: start ? { start } : {} });
      state.config.users.push(reply.user);
      await switchUser(reply.user.user_id);
      return reply.user;
    } catch (error) {
      toast(error.message, "error");
      setStatus("bot");
      return null;
    }
  }
  function openDeepLink(start) {
    newUser(start).then((user) => { if (user) toast("Invite link opened: you are a new user. Press START."); });
  }
  $("new-user").addEventListener("click", () => { closeGuideOnPhone(); newUser(null); });
  $("user-select").addEventListener("change", (event) => {
    if (event.target.value === "new") newUser(null);
    else switchUser(event.target.value);
  });

  // ---------------------------------------------------------------- the guide
  async function copyText(value, button) {
    try {
      await navigator.clipboard.writeText(value);
    } catch (error) {
      // http pages on some browsers: fall back to a hidden text area
      const area = document.createElement("textarea");
      area.value = value;
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); } catch (ignored) { /* nothing else to try */ }
      area.remove();
    }
    if (button) {
      const old = button.textContent;
      button.textContent = "Copied";
      button.classList.add("done");
      setTimeout(() => { button.textContent = old; button.classList.remove("done"); }, 1400);
    }
  }

  function credentialRow(label, value) {
    const row = document.createElement("div");
    row.className = "cred-field";
    const l = document.createElement("span");
    l.className = "cred-label";
    l.textContent = label;
    const v = document.createElement("code");
    v.className = "cred-value";
    v.textContent = value;
    v.title = value;
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "copy";
    copy.textContent = "Copy";
    copy.dataset.value = value;
    copy.setAttribute("aria-label", `Copy ${label}`);
    copy.addEventListener("click", () => copyText(value, copy));
    row.append(l, v, copy);
    return row;
  }

  function renderGuide() {
    const creds = $("credentials");
    creds.textContent = "";
    state.config.credentials.forEach((c) => {
      const box = document.createElement("div");
      box.className = "cred";
      const head = document.createElement("div");
      head.className = "cred-head";
      head.textContent = c.marketplace;
      const hint = document.createElement("div");
      hint.className = "cred-hint";
      hint.textContent = c.hint;
      box.append(head, hint);
      c.fields.forEach((f) => box.appendChild(credentialRow(f.label, f.value)));
      creds.appendChild(box);
    });
    const failures = $("failures");
    failures.textContent = "";
    state.config.failures.forEach((f) => {
      const box = document.createElement("div");
      box.className = "cred";
      const head = document.createElement("div");
      head.className = "cred-hint";
      head.textContent = f.label;
      box.append(head, credentialRow("Key", f.value));
      failures.appendChild(box);
    });

    const steps = $("steps");
    steps.textContent = "";
    const roleNames = { partner: "as the partner", admin: "as the admin", new: "as a new seller" };
    state.config.steps.forEach((s) => {
      const li = document.createElement("li");
      const title = document.createElement("span");
      title.className = "step-title";
      title.textContent = s.title;
      const who = document.createElement("button");
      who.type = "button";
      who.className = "step-user";
      who.textContent = roleNames[s.user] || s.user;
      who.title = "Switch to this user";
      who.addEventListener("click", () => {
        closeGuideOnPhone();
        if (s.user === "new") {
          const existing = state.user && state.user.role === "new" ? state.user : null;
          if (!existing) newUser(null);
        } else {
          const u = state.config.users.find((x) => x.role === s.user);
          if (u) switchUser(u.user_id);
        }
      });
      const text = document.createElement("div");
      text.className = "step-text";
      text.textContent = s.text;
      li.append(title, who, text);
      steps.appendChild(li);
    });
  }

  function closeGuideOnPhone() { $("layout").classList.remove("guide-open"); }
  $("guide-open").addEventListener("click", () => $("layout").classList.add("guide-open"));
  $("guide-close").addEventListener("click", closeGuideOnPhone);

  // ---------------------------------------------------------------- start
  async function main() {
    try {
      state.config = await api("/api/config");
    } catch (error) {
      toast(error.message, "error");
      return;
    }
    renderGuide();
    const params = new URLSearchParams(location.search);
    const start = params.get("start");
    if (start && /^[A-Za-z0-9_-]{1,64}$/.test(start)) {
      renderUsers();
      await newUser(start);
      return;
    }
    const wanted = Number(params.get("user"));
    const user = state.config.users.find((u) => u.user_id === wanted)
      || state.config.users.find((u) => u.role === "partner") || state.config.users[0];
    updateSendButton();
    if (user) await switchUser(user.user_id);
  }
  main();
})();
