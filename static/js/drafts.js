/* Offline drafts and an outbox for the cadre's forms (issue 13): no framework, nothing from a CDN.

   A form marked data-draft="<stable name>" keeps what is typed in localStorage and gets it back
   after a reload or a lost page. Its submission goes by fetch: when the network is down (or the
   server answers 502/503/504) the whole submission, photos included, waits in IndexedDB and is
   sent again when the connection returns. Every creating form carries a one-time request key
   (hidden "nonce") that the server stores unique with what it creates, so a resend of a
   submission that did arrive returns the first case instead of making a second.
   Without this script the forms submit as plain HTML forms. */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.sanheDrafts || !window.fetch || !window.FormData) {
    return;
  }
  window.sanheDrafts = true;

  var conf = script.dataset;
  var USER = conf.user || "anon";
  var LOGIN_PATH = conf.loginUrl || "/accounts/login/";
  // Where a sending ends when the session no longer lets it through: not a saved page.
  var AUTH_PATHS = [LOGIN_PATH, conf.verifyUrl || "/account/verify/"];
  var KEY_FIELD = "nonce";
  var CSRF_FIELD = "csrfmiddlewaretoken";
  var SAVE_DELAY_MS = 400;
  var SEND_TIMEOUT_MS = 30000;
  var RETRY_FIRST_MS = 5000;
  var RETRY_MAX_MS = 300000;
  var DB_NAME = "sanhe-outbox";
  var STORE = "items";

  function text(name, arg) {
    var value = conf["t" + name] || "";
    return arg === undefined ? value : value.replace("%s", String(arg));
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") {
        node.textContent = attrs[name];
      } else {
        node.setAttribute(name, attrs[name]);
      }
    });
    (children || []).forEach(function (child) {
      node.appendChild(child);
    });
    return node;
  }

  function newKey() {
    // crypto.randomUUID needs a secure context; a town server may be reached over plain HTTP.
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      })
      .join("");
  }

  /* ---- drafts: the typed values of a form, in localStorage ---- */

  function draftKey(form) {
    return "sanhe-draft:" + USER + ":" + form.dataset.draft;
  }

  function kept(field) {
    if (!field.name || field.disabled || field.name === CSRF_FIELD) {
      return false;
    }
    var type = field.type;
    if (type === "file" || type === "submit" || type === "button" || type === "reset" || type === "image") {
      return false;
    }
    // Hidden inputs are the server's (duplicates seen); only the request key is ours to keep.
    return type !== "hidden" || field.name === KEY_FIELD;
  }

  function fieldsOf(form) {
    return Array.prototype.filter.call(form.elements, kept);
  }

  function valuesOf(form) {
    var values = {};
    fieldsOf(form).forEach(function (field) {
      var list = values[field.name] || (values[field.name] = []);
      if (field.type === "checkbox" || field.type === "radio") {
        if (field.checked) {
          list.push(field.value);
        }
      } else if (field.type === "select-multiple") {
        Array.prototype.forEach.call(field.selectedOptions, function (option) {
          list.push(option.value);
        });
      } else {
        list.push(field.value);
      }
    });
    return values;
  }

  function readDraft(form) {
    try {
      var draft = JSON.parse(localStorage.getItem(draftKey(form)) || "null");
      return draft && draft.values ? draft : null;
    } catch (e) {
      return null;
    }
  }

  function saveDraft(form) {
    try {
      localStorage.setItem(draftKey(form), JSON.stringify({ values: valuesOf(form), at: Date.now() }));
    } catch (e) {
      // Storage full or refused (private mode): the form still submits; nothing to keep.
    }
  }

  function dropDraft(form) {
    clearTimeout(form.sanheTimer);
    form.sanheTimer = null; // nor saved again as the page goes
    try {
      localStorage.removeItem(draftKey(form));
    } catch (e) {
      /* nothing stored */
    }
  }

  function sameList(a, b) {
    a = a || [];
    b = b || [];
    return (
      a.length === b.length &&
      a.every(function (v, i) {
        return v === b[i];
      })
    );
  }

  // Whether the draft holds anything the page does not show already (the request key aside:
  // every fresh page has a new one).
  function differs(form, values) {
    var now = valuesOf(form);
    return Object.keys(values).some(function (name) {
      return name !== KEY_FIELD && !sameList(values[name], now[name]);
    });
  }

  function apply(form, values) {
    var seen = {};
    fieldsOf(form).forEach(function (field) {
      var list = values[field.name];
      if (!list) {
        return;
      }
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = list.indexOf(field.value) !== -1;
      } else if (field.type === "select-multiple") {
        Array.prototype.forEach.call(field.options, function (option) {
          option.selected = list.indexOf(option.value) !== -1;
        });
      } else {
        var i = seen[field.name] || 0;
        seen[field.name] = i + 1;
        if (i < list.length) {
          field.value = list[i];
        }
      }
      // Other scripts of the page (a field shown for a ticked box) follow the restored values.
      field.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  function restore(form) {
    var draft = readDraft(form);
    if (!draft) {
      return;
    }
    if (!differs(form, draft.values)) {
      return;
    }
    form.sanheQuiet = true;
    apply(form, draft.values);
    form.sanheQuiet = false;
    var discard = el("button", { type: "button", class: "secondary", text: text("Discard") });
    var note = el("ul", { class: "messages draft-note", role: "status" }, [
      el("li", {}, [el("span", { text: text("Restored") + " " }), discard]),
    ]);
    discard.addEventListener("click", function () {
      dropDraft(form);
      form.sanheQuiet = true;
      form.reset();
      form.sanheQuiet = false;
      note.remove();
    });
    form.parentNode.insertBefore(note, form);
  }

  function onTyping(event) {
    var form = event.target.form;
    if (!form || !form.dataset.draft || form.sanheQuiet || !kept(event.target)) {
      return;
    }
    clearTimeout(form.sanheTimer);
    form.sanheTimer = setTimeout(function () {
      saveDraft(form);
    }, SAVE_DELAY_MS);
  }

  function saveAllNow() {
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      if (form.sanheTimer) {
        clearTimeout(form.sanheTimer);
        form.sanheTimer = null;
        saveDraft(form);
      }
    });
  }

  /* ---- the outbox: whole submissions, files included, in IndexedDB ---- */

  var dbPromise = null;

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
        };
        request.onsuccess = function () {
          resolve(request.result);
        };
        request.onerror = function () {
          reject(request.error);
        };
      });
    }
    return dbPromise;
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var request = work(tx.objectStore(STORE));
        tx.oncomplete = function () {
          resolve(request ? request.result : undefined);
        };
        tx.onerror = tx.onabort = function () {
          reject(tx.error);
        };
      });
    });
  }

  function myItems() {
    return withStore("readonly", function (store) {
      return store.getAll();
    }).then(function (items) {
      return items.filter(function (item) {
        return item.user === USER;
      });
    });
  }

  function putItem(item) {
    return withStore("readwrite", function (store) {
      return store.put(item);
    });
  }

  function deleteItem(item) {
    return withStore("readwrite", function (store) {
      return store.delete(item.id);
    });
  }

  function entriesOf(form, submitter) {
    var data;
    try {
      data = new FormData(form, submitter || undefined);
    } catch (e) {
      data = new FormData(form);
      if (submitter && submitter.name) {
        data.append(submitter.name, submitter.value);
      }
    }
    var entries = [];
    data.forEach(function (value, name) {
      entries.push([name, value]);
    });
    return entries;
  }

  function bodyOf(entries, token) {
    var data = new FormData();
    entries.forEach(function (entry) {
      var value = entry[1];
      if (entry[0] === CSRF_FIELD && token) {
        value = token;
      }
      if (value instanceof Blob) {
        data.append(entry[0], value, value.name || "");
      } else {
        data.append(entry[0], value);
      }
    });
    return data;
  }

  function entryValue(entries, name) {
    var found = entries.filter(function (entry) {
      return entry[0] === name;
    })[0];
    return found ? found[1] : "";
  }

  function pageToken() {
    var input = document.querySelector("input[name=" + CSRF_FIELD + "]");
    return input ? input.value : "";
  }

  // What became of one attempt: "saved" (with the page it led to), "offline" (try later),
  // "refused" (403: the CSRF token or the permission), "login" (the session ended), "check" (the
  // server showed the form again: errors or possible duplicates), or "error".
  function send(url, entries, token) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller
      ? setTimeout(function () {
          controller.abort();
        }, SEND_TIMEOUT_MS)
      : null;
    return fetch(url, {
      method: "POST",
      body: bodyOf(entries, token),
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined,
    }).then(
      function (response) {
        clearTimeout(timer);
        var status = response.status;
        if (status === 502 || status === 503 || status === 504) {
          return { kind: "offline" };
        }
        if (status === 403) {
          return { kind: "refused" };
        }
        if (!response.ok) {
          return { kind: "error" };
        }
        if (!response.redirected) {
          return { kind: "check" };
        }
        var path = new URL(response.url).pathname;
        var toAuth = AUTH_PATHS.some(function (auth) {
          return path.indexOf(auth) === 0;
        });
        if (toAuth) {
          return { kind: "login" };
        }
        return response.text().then(
          function (html) {
            return { kind: "saved", url: response.url, messages: messagesIn(html) };
          },
          function () {
            return { kind: "saved", url: response.url, messages: [] };
          }
        );
      },
      function () {
        clearTimeout(timer);
        return { kind: "offline" };
      }
    );
  }

  /* ---- the server's one-time messages ("驻点记录已保存…") ---- */

  var FLASH_KEY = "sanhe-flash";

  // Fetch followed the redirect and so took the page's one-time messages; the page opened next
  // shows them instead, as after a plain form post.
  function messagesIn(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    return Array.prototype.map.call(page.querySelectorAll("ul.messages li"), function (li) {
      return { text: li.textContent, tags: li.className };
    });
  }

  function passOn(messages) {
    try {
      sessionStorage.setItem(FLASH_KEY, JSON.stringify(messages || []));
    } catch (e) {
      /* the messages are a courtesy */
    }
  }

  function showPassedOn() {
    var messages;
    try {
      messages = JSON.parse(sessionStorage.getItem(FLASH_KEY) || "[]");
      sessionStorage.removeItem(FLASH_KEY);
    } catch (e) {
      return;
    }
    var main = document.getElementById("main");
    if (!messages.length || !main || document.querySelector("ul.messages")) {
      return;
    }
    var list = el(
      "ul",
      { class: "messages", role: "status" },
      messages.map(function (m) {
        return el("li", { class: m.tags || "", text: m.text });
      })
    );
    main.parentNode.insertBefore(list, main);
  }

  /* ---- what the cadre sees of the outbox ---- */

  var sent = [];
  var box = null;

  function outboxBox() {
    if (!box) {
      box = el("div", { class: "draft-outbox", role: "status", "aria-live": "polite" });
      var main = document.getElementById("main") || document.body;
      main.insertBefore(box, main.firstChild);
    }
    return box;
  }

  function line(children, cls) {
    return el("li", cls ? { class: cls } : {}, children);
  }

  function button(label, onClick, cls) {
    var node = el("button", { type: "button", class: cls || "secondary", text: label });
    node.addEventListener("click", onClick);
    return node;
  }

  function inState(items, state) {
    return items.filter(function (item) {
      return item.state === state;
    });
  }

  function render() {
    return myItems().then(function (items) {
      var lines = [];
      var waiting = inState(items, "waiting");
      if (waiting.length) {
        lines.push(line([el("strong", { text: text("Queued") })], "error"));
        var count = el("span", { class: "outbox-count", text: text("Waiting", waiting.length) + " " });
        lines.push(line([count, button(text("SendNow"), retryNow)]));
      }
      if (inState(items, "refused").length) {
        var reopen = button(text("Reopen"), function () {
          location.reload();
        });
        lines.push(line([el("span", { text: text("Refused") + " " }), reopen], "error"));
      }
      if (inState(items, "login").length) {
        var next = LOGIN_PATH + "?next=" + encodeURIComponent(location.pathname);
        var login = el("a", { class: "button", href: next, text: text("Login") });
        lines.push(line([el("span", { text: text("LoginExpired") + " " }), login], "error"));
      }
      inState(items, "check").forEach(function (item) {
        var open = button(text("Open"), function () {
          openForCheck(item);
        });
        lines.push(line([el("span", { text: text("Check", item.label) + " " }), open], "error"));
      });
      sent.forEach(function (done) {
        var link = el("a", { class: "button", href: done.url, text: done.number || text("Open") });
        lines.push(line([el("span", { text: text("Sent", done.label) + " " }), link], "sent"));
      });
      if (!lines.length && !box) {
        return;
      }
      var node = outboxBox();
      node.replaceChildren();
      if (lines.length) {
        node.appendChild(el("ul", { class: "messages" }, lines));
      }
    });
  }

  // A submission the server wants looked at (errors, possible duplicates) goes to it as a plain
  // form post, so that its page shows the form with its messages, as without this script.
  function openForCheck(item) {
    if (!navigator.onLine) {
      return; // it leaves the outbox as it goes: not while it cannot arrive
    }
    var form = el("form", { method: "post", action: item.url, enctype: "multipart/form-data", hidden: "" });
    var files = {};
    item.entries.forEach(function (entry) {
      if (entry[1] instanceof Blob) {
        (files[entry[0]] = files[entry[0]] || []).push(entry[1]);
        return;
      }
      var value = entry[0] === CSRF_FIELD ? pageToken() || entry[1] : entry[1];
      form.appendChild(el("input", { type: "hidden", name: entry[0], value: value }));
    });
    Object.keys(files).forEach(function (name) {
      var input = el("input", { type: "file", name: name, multiple: "" });
      if (window.DataTransfer) {
        var transfer = new DataTransfer();
        files[name].forEach(function (file) {
          if (file.size) {
            transfer.items.add(file instanceof File ? file : new File([file], "photo"));
          }
        });
        input.files = transfer.files;
      }
      form.appendChild(input);
    });
    document.body.appendChild(form);
    deleteItem(item).then(function () {
      form.submit();
    });
  }

  /* ---- sending the outbox again ---- */

  var flushing = false;
  var retryTimer = null;
  var retryDelay = RETRY_FIRST_MS;

  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(flush, retryDelay);
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
  }

  function retryNow() {
    retryDelay = RETRY_FIRST_MS;
    flush();
  }

  function sendItem(item) {
    return send(item.url, item.entries).then(function (result) {
      var token = pageToken();
      // The token kept with the item no longer matches the session's (a new login): this page's does.
      if (result.kind === "refused" && token && token !== entryValue(item.entries, CSRF_FIELD)) {
        return send(item.url, item.entries, token);
      }
      return result;
    });
  }

  function flush() {
    if (flushing) {
      return Promise.resolve();
    }
    flushing = true;
    clearTimeout(retryTimer);
    return myItems()
      .then(function (items) {
        var todo = items.filter(function (item) {
          return item.state === "waiting";
        });
        return todo.reduce(function (chain, item) {
          return chain.then(function (stop) {
            if (stop) {
              return true;
            }
            return sendItem(item).then(function (result) {
              return settle(item, result);
            });
          });
        }, Promise.resolve(false));
      })
      .then(function (stopped) {
        flushing = false;
        if (stopped) {
          scheduleRetry();
        } else {
          retryDelay = RETRY_FIRST_MS;
        }
        return render();
      })
      .catch(function () {
        flushing = false;
      });
  }

  // Record what became of ITEM; true when the rest should wait (the connection is still down).
  function settle(item, result) {
    if (result.kind === "saved") {
      var number = new URL(result.url).searchParams.get("saved") || "";
      sent.push({ url: result.url, number: number, label: item.label });
      return deleteItem(item).then(function () {
        return false;
      });
    }
    if (result.kind === "offline" || result.kind === "error") {
      return true;
    }
    item.state = result.kind; // refused, login or check: the cadre's move
    return putItem(item).then(function () {
      return result.kind === "login";
    });
  }

  /* ---- a draft form's submission ---- */

  function busy(form, on) {
    form.sanheSending = on;
    form.setAttribute("aria-busy", on ? "true" : "false");
  }

  // The page as the server would show it: let the browser post the form itself.
  function submitNatively(form, submitter) {
    form.sanheNative = true;
    if (form.requestSubmit) {
      form.requestSubmit(submitter || undefined);
    } else {
      form.submit();
    }
  }

  function queue(form, entries) {
    var label = entryValue(entries, "title") || document.title.split(" · ")[0];
    var item = {
      user: USER,
      url: form.action,
      entries: entries,
      label: String(label),
      state: "waiting",
      at: Date.now(),
    };
    return putItem(item).then(
      function () {
        dropDraft(form);
        form.sanheQuiet = true;
        form.reset();
        form.sanheQuiet = false;
        // The next problem typed on this page is a new submission: it needs a key of its own.
        var key = form.elements.namedItem(KEY_FIELD);
        if (key && key.value) {
          key.value = newKey();
        }
        scheduleRetry();
        return render();
      },
      function () {
        // No IndexedDB here (private mode, full disk): the typed text stays as a draft.
        var lost = line([el("strong", { text: text("NotKept") })], "error");
        outboxBox().replaceChildren(el("ul", { class: "messages" }, [lost]));
      }
    );
  }

  function onSubmit(event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.draft || form.sanheNative) {
      return;
    }
    event.preventDefault();
    if (form.sanheSending) {
      return; // a second tap while the first is on its way
    }
    var submitter = event.submitter;
    var entries = entriesOf(form, submitter);
    // What the page showed as just saved is not what is being sent now: no number to copy by mistake.
    if (form.dataset.draftStale) {
      document.querySelectorAll(form.dataset.draftStale).forEach(function (node) {
        node.remove();
      });
    }
    if (!navigator.onLine) {
      queue(form, entries);
      return;
    }
    busy(form, true);
    send(form.action, entries).then(function (result) {
      busy(form, false);
      if (result.kind === "saved") {
        dropDraft(form);
        passOn(result.messages);
        location.assign(result.url);
      } else if (result.kind === "offline") {
        queue(form, entries);
      } else {
        submitNatively(form, submitter);
      }
    });
  }

  function start() {
    showPassedOn();
    document.querySelectorAll("form[data-draft]").forEach(restore);
    document.addEventListener("input", onTyping);
    document.addEventListener("change", onTyping);
    document.addEventListener("submit", onSubmit);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") {
        saveAllNow();
      }
    });
    window.addEventListener("pagehide", saveAllNow);
    window.addEventListener("online", retryNow);
    if (!window.indexedDB) {
      return;
    }
    // A new page load is the "open the page again" asked for after a refusal or a login.
    myItems()
      .then(function (items) {
        return Promise.all(
          items
            .filter(function (item) {
              return item.state === "refused" || item.state === "login";
            })
            .map(function (item) {
              item.state = "waiting";
              return putItem(item);
            })
        );
      })
      .then(function () {
        return navigator.onLine ? flush() : render().then(scheduleRetry);
      })
      .catch(function () {
        /* no outbox on this browser */
      });
  }

  start();
})();
