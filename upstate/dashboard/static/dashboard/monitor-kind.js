// Show only the fields of the chosen kind (without JavaScript, all are shown).
(function () {
  var kind = document.getElementById("id_kind");
  if (!kind) return;
  function sync() {
    document.querySelectorAll(".kind-fields").forEach(function (set) {
      set.hidden = set.dataset.kinds.split(" ").indexOf(kind.value) < 0;
    });
  }
  kind.addEventListener("change", sync);
  sync();
})();
