// Starts Baton in the browser (as Leptos' own hydration script does): loads the bundle
// and hydrates the page. If the bundle cannot be downloaded or started (a dropped
// connection, or a new version deployed since this page was opened), the page says so
// with a way to load it again, instead of staying up with controls that do nothing.
// Called with the addresses of the bundle's JS and WebAssembly.
(function (js, wasm) {
  // `started`: the bundle downloaded and compiled, and hydrating it failed.
  const broken = (started) => {
    if (document.getElementById("broken")) return;
    const banner = document.createElement("div");
    banner.id = "broken";
    banner.className = "broken-banner";
    banner.setAttribute("role", "alert");
    const text = document.createElement("p");
    text.textContent = started
      ? "Something went wrong on this page and it stopped responding. Nothing you saved is lost."
      : "Baton could not be downloaded: the connection dropped, or Baton was updated " +
        "since this page was opened. Nothing you saved is lost.";
    const again = document.createElement("a");
    again.href = location.href;
    again.rel = "external";
    again.className = "button";
    again.textContent = "Try again";
    banner.append(text, again);
    document.body.prepend(banner);
  };
  // The panic hook shows the same banner (`live_client::show_broken`).
  window.batonBroken = broken;
  let started = false;
  import(js)
    .then((mod) =>
      mod.default({ module_or_path: wasm }).then(() => {
        started = true;
        mod.hydrate();
      }),
    )
    .catch((error) => {
      console.error("Baton could not start:", error);
      broken(started);
    });
})
