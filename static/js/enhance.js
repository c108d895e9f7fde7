// Progressive enhancement only: every page works without this file.
// The IBAN typed in the bank details form is shown back grouped by 4, to check it at a glance.
// A block that belongs to one choice of a radio group (`data-shown-with` = the radio's id) is
// hidden while another choice is checked; without this file it stays grouped under its choice.
(function () {
  "use strict";

  function groupBy4(text) {
    return text.replace(/[^0-9A-Za-z]/g, "").toUpperCase().replace(/(.{4})(?=.)/g, "$1 ");
  }

  function enhanceIban(form) {
    var country = form.querySelector("[name$='country_code']");
    var key = form.querySelector("[name$='check_digits']");
    var bban = form.querySelector("[name$='bban']");
    if (!country || !key || !bban) {
      return;
    }
    var preview = document.createElement("p");
    preview.className = "iban-preview";
    preview.setAttribute("aria-live", "polite");
    bban.insertAdjacentElement("afterend", preview);
    function update() {
      var rest = bban.value.replace(/[^0-9A-Za-z]/g, "");
      // A whole IBAN pasted into the identification block is shown as it will be split.
      var iban = /^[A-Za-z]{2}[0-9]{2}/.test(rest) && rest.length > 20 ? rest : country.value + key.value + rest;
      preview.textContent = rest ? (document.documentElement.lang === "en" ? "IBAN: " : "IBAN : ") + groupBy4(iban) : "";
    }
    [country, key, bban].forEach(function (field) {
      field.addEventListener("input", update);
      field.addEventListener("change", update);
    });
    update();
  }

  function enhanceConditional(block) {
    var radio = document.getElementById(block.getAttribute("data-shown-with"));
    if (!radio || !radio.form) {
      return;
    }
    var group = radio.form.elements[radio.name];
    function update() {
      block.hidden = !radio.checked;
    }
    Array.prototype.forEach.call(group.length ? group : [group], function (choice) {
      choice.addEventListener("change", update);
    });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form"), enhanceIban);
    Array.prototype.forEach.call(document.querySelectorAll("[data-shown-with]"), enhanceConditional);
  });
})();
