// After htmx swaps an answer into the page, move the keyboard focus where the user needs it:
// the first field the answer marks invalid, else its error, else its notice. A screen reader
// reads out what receives the focus, so the outcome is announced where it is shown.
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail.target;
  var root = target && target.isConnected ? target : target && document.getElementById(target.id);
  if (!root) {
    return;
  }
  var destination =
    root.querySelector("[aria-invalid='true']") ||
    root.querySelector(".form-error") ||
    root.querySelector(".notice");
  if (destination) {
    destination.focus();
  }
});
