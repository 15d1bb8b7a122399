// <policy-notice>: shows a signed-in user the policy changes they have not acknowledged.
//
//   <script src="https://policies.example.com/assets/notifier/policy-notice.js" defer></script>
//   <policy-notice api="https://notices.example.com" token-provider="getPolicyToken"></policy-notice>
//   <policy-notice src="https://policies.example.com/notices.json"></policy-notice>   (static)
//
// API mode asks the notice API (with a token from window[token-provider](), which returns a
// token or a promise of one) and records "seen" and "acknowledge" there. Static mode reads
// notices.json and remembers dismissals in this browser only. Add `blocking` to show a notice
// that needs acknowledging as a modal dialog until it is acknowledged.
// No dependency, no inline script, no eval, no innerHTML: every text is inserted as text, so it
// works under a strict Content-Security-Policy. Style it with CSS custom properties:
// --policy-notice-bg, --policy-notice-fg, --policy-notice-accent, --policy-notice-accent-fg,
// --policy-notice-border, --policy-notice-font, --policy-notice-radius.
(function () {
  "use strict";
  if (!window.customElements || customElements.get("policy-notice")) return;

  var CSS = [
    ":host { display: block; font-family: var(--policy-notice-font, system-ui, sans-serif); }",
    ".notices { display: grid; gap: 8px; }",
    ".notice { background: var(--policy-notice-bg, #fff8e1); color: var(--policy-notice-fg, #1f2328);",
    "  border: 1px solid var(--policy-notice-border, #e0c36b); border-radius: var(--policy-notice-radius, 6px);",
    "  padding: 12px 16px; }",
    ".title { font-weight: 600; margin: 0 0 4px; }",
    ".summary { margin: 0 0 8px; }",
    ".actions { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }",
    "a { color: inherit; }",
    "button { font: inherit; cursor: pointer; border-radius: 4px; padding: 4px 12px;",
    "  border: 1px solid var(--policy-notice-accent, #3f51b5); background: transparent; color: inherit; }",
    "button.primary { background: var(--policy-notice-accent, #3f51b5); color: var(--policy-notice-accent-fg, #fff); }",
    "button:focus-visible, a:focus-visible { outline: 3px solid var(--policy-notice-accent, #3f51b5); outline-offset: 2px; }",
    ".backdrop { position: fixed; inset: 0; background: rgba(0, 0, 0, 0.5); display: flex;",
    "  align-items: center; justify-content: center; z-index: 2147483000; }",
    ".backdrop .notice { max-width: 560px; margin: 16px; }"
  ].join("\n");

  function text(tag, className, value) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (value !== undefined && value !== null) node.textContent = String(value);
    return node;
  }

  function safeUrl(value) {
    try {
      var url = new URL(String(value), document.baseURI);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function longDate(iso) {
    var parts = String(iso || "").split("-");
    if (parts.length !== 3) return String(iso || "");
    var date = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2]));
    try {
      return date.toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric", timeZone: "UTC" });
    } catch (error) {
      return String(iso);
    }
  }

  class PolicyNotice extends HTMLElement {
    connectedCallback() {
      if (this._root) return;
      this._root = this.attachShadow({ mode: "open" });
      this._style();
      this._list = text("div", "notices");
      this._list.setAttribute("role", "region");
      this._list.setAttribute("aria-label", this.getAttribute("label") || "Policy updates");
      this._root.appendChild(this._list);
      this.load();
    }

    _style() {
      if (this._root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
        var sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS); // constructed stylesheets need no 'unsafe-inline'
        this._root.adoptedStyleSheets = [sheet];
      }
    }

    get _api() { return (this.getAttribute("api") || "").replace(/\/+$/, ""); }

    _token() {
      var name = this.getAttribute("token-provider");
      var provider = name ? window[name] : null;
      if (typeof provider !== "function") return Promise.reject(new Error("no token provider"));
      return Promise.resolve(provider());
    }

    _request(method, path) {
      var api = this._api;
      return this._token().then(function (token) {
        return fetch(api + path, {
          method: method, mode: "cors", credentials: "omit",
          headers: { "Authorization": "Bearer " + token }
        });
      }).then(function (response) {
        if (!response.ok) throw new Error("notice API answered " + response.status);
        return response.json();
      });
    }

    load() {
      var self = this;
      var loading = this._api
        ? this._request("GET", "/v1/notices").then(function (data) { return data.notices || []; })
        : this._static();
      return loading.then(function (notices) {
        self._render(notices);
        self.dispatchEvent(new CustomEvent("policy-notice:loaded", { detail: { count: notices.length } }));
      }).catch(function (error) {
        self.dispatchEvent(new CustomEvent("policy-notice:error", { detail: { message: String(error.message || error) } }));
      });
    }

    _static() {
      var src = this.getAttribute("src");
      if (!src) return Promise.resolve([]);
      var self = this;
      return fetch(src, { credentials: "omit" }).then(function (response) {
        if (!response.ok) throw new Error("notices.json answered " + response.status);
        return response.json();
      }).then(function (data) {
        return (data.notices || []).filter(function (notice) {
          return (notice["class"] === "material" || notice["class"] === "editorial") &&
            !self._dismissed(notice.id);
        }).map(function (notice) {
          return Object.assign({}, notice, { id: String(notice.id).replace("/", "@") });
        });
      });
    }

    _key(id) { return "policy-notice:" + id; }

    _dismissed(id) {
      try { return window.localStorage.getItem(this._key(String(id).replace("/", "@"))) !== null; }
      catch (error) { return false; }
    }

    _remember(id) {
      try { window.localStorage.setItem(this._key(id), new Date().toISOString()); } catch (error) { /* private mode */ }
    }

    _render(notices) {
      this._list.textContent = "";
      var blocking = this.hasAttribute("blocking");
      for (var i = 0; i < notices.length; i++) {
        var notice = notices[i];
        var card = this._card(notice);
        if (blocking && notice.acknowledgement_required) {
          this._modal(card);
        } else {
          this._list.appendChild(card);
        }
        if (this._api && !notice.seen) this._request("POST", "/v1/notices/" + encodeURIComponent(notice.id) + "/seen").catch(function () {});
      }
    }

    _card(notice) {
      var card = text("section", "notice");
      card.setAttribute("data-notice", notice.id);
      var titleId = "policy-notice-" + String(notice.id).replace(/[^A-Za-z0-9_-]/g, "-");
      var upcoming = String(notice.effective_date || "") > new Date().toISOString().slice(0, 10);
      var title = text("p", "title", (notice.title || notice.document) +
        (upcoming ? " changes on " : " was updated on ") + longDate(notice.effective_date));
      title.id = titleId;
      card.setAttribute("aria-labelledby", titleId);
      card.appendChild(title);
      card.appendChild(text("p", "summary", notice.summary));
      var actions = text("div", "actions");
      var redline = safeUrl(notice.links && notice.links.redline);
      if (redline) {
        var link = text("a", "redline", "See what changes");
        link.href = redline;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        actions.appendChild(link);
      }
      var self = this;
      var required = !!notice.acknowledgement_required;
      var button = text("button", required ? "primary acknowledge" : "dismiss",
        required ? "Acknowledge" : "Dismiss");
      button.type = "button";
      button.addEventListener("click", function () { self._done(notice, card, required, button); });
      actions.appendChild(button);
      card.appendChild(actions);
      return card;
    }

    _done(notice, card, acknowledge, button) {
      var self = this;
      button.disabled = true;
      var recorded = this._api
        ? this._request("POST", "/v1/notices/" + encodeURIComponent(notice.id) + (acknowledge ? "/acknowledge" : "/seen"))
        : Promise.resolve(this._remember(notice.id));
      recorded.then(function () {
        var holder = card.parentNode;
        if (holder) holder.removeChild(card);
        if (self._backdrop && self._backdrop.childNodes.length === 0) self._closeModal();
        self.dispatchEvent(new CustomEvent(acknowledge ? "policy-notice:acknowledged" : "policy-notice:dismissed",
          { detail: { id: notice.id } }));
      }).catch(function (error) {
        button.disabled = false;
        self.dispatchEvent(new CustomEvent("policy-notice:error", { detail: { message: String(error.message || error) } }));
      });
    }

    _modal(card) {
      if (!this._backdrop) {
        this._backdrop = text("div", "backdrop");
        this._root.appendChild(this._backdrop);
        this._previousFocus = document.activeElement;
        this._trap = this._trapFocus.bind(this);
        this._root.addEventListener("keydown", this._trap);
      }
      card.setAttribute("role", "alertdialog");
      card.setAttribute("aria-modal", "true");
      this._backdrop.appendChild(card);
      var button = card.querySelector("button");
      if (button) window.setTimeout(function () { button.focus(); }, 0);
    }

    _trapFocus(event) {
      if (!this._backdrop || event.key !== "Tab") return;
      var focusable = this._backdrop.querySelectorAll("a[href], button:not([disabled])");
      if (!focusable.length) return;
      var first = focusable[0], last = focusable[focusable.length - 1];
      var active = this._root.activeElement;
      if (event.shiftKey && active === first) { last.focus(); event.preventDefault(); }
      else if (!event.shiftKey && active === last) { first.focus(); event.preventDefault(); }
    }

    _closeModal() {
      this._root.removeEventListener("keydown", this._trap);
      this._root.removeChild(this._backdrop);
      this._backdrop = null;
      if (this._previousFocus && this._previousFocus.focus) this._previousFocus.focus();
    }
  }

  customElements.define("policy-notice", PolicyNotice);
})();
