/* "Envoyer un document": says a file is too large or of the wrong kind before it is sent, and shows the
   progress of a large upload. Without this script the form posts as usual and the server says the same. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-upload]");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var input = form.querySelector("input[type=file]");
  var progress = form.querySelector(".upload-progress");
  var TYPES = /\.(pdf|png|jpe?g)$/i;

  function problem(file) {
    if (!file) { return ""; }
    if (file.size > Number(form.dataset.maxBytes)) { return form.dataset.tooLarge; }
    if (!TYPES.test(file.name)) { return form.dataset.badType; }
    return "";
  }

  function show(message) {
    var field = input.closest(".field");
    var note = document.getElementById("file-error");
    if (!message) {
      if (note) { note.remove(); }
      field.classList.remove("field--error");
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", "file-hint");
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.id = "file-error";
      note.className = "field-error";
      note.setAttribute("role", "alert");
      input.parentNode.insertBefore(note, input);
    }
    note.textContent = "Erreur : " + message;
    field.classList.add("field--error");
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "file-hint file-error");
  }

  input.addEventListener("change", function () { show(problem(input.files[0])); });

  form.addEventListener("submit", function (event) {
    var message = problem(input.files[0]);
    event.preventDefault();
    if (message) { show(message); input.focus(); return; }
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) { progress.querySelector("progress").value = Math.round(100 * e.loaded / e.total); }
    });
    request.addEventListener("load", function () {
      // The page the server answered (the list after a redirect, or the form with its errors) replaces this one.
      document.open();
      document.write(request.responseText);
      document.close();
      if (request.responseURL) { history.replaceState(null, "", request.responseURL); }
    });
    request.addEventListener("error", function () { form.submit(); });
    progress.hidden = false;
    form.querySelector("button[type=submit]").disabled = true;
    request.send(new FormData(form));
  });
}());
