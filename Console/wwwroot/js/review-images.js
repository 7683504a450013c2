// The review screen's image. The next item's image is fetched while the current one is decided and kept in memory
// only, as a Blob (responses are no-store, never on disk); an image element of the review screen carries its address in
// data-src, and gets the bytes fetched ahead when they are there, the address otherwise.
window.reviewImages = (() => {
    const ready = new Map(); // address -> object URL, oldest first
    const decoding = new Map(); // address -> an Image decoding it ahead (kept so that its decoded bitmap is kept)
    const keep = 3;          // the image on screen, the next one, and one being replaced

    function show(img) {
        const address = img.dataset.src;
        if (!address || img.dataset.shown === address) return;
        img.dataset.shown = address;
        img.src = ready.get(address) ?? address;
    }

    function showAll() {
        document.querySelectorAll('img[data-src]').forEach(show);
    }

    new MutationObserver(showAll).observe(document.documentElement,
        { childList: true, subtree: true, attributes: true, attributeFilter: ['data-src'] });
    showAll();

    return {
        prefetch(address) {
            if (ready.has(address)) return;
            fetch(address, { credentials: 'same-origin', cache: 'no-store' })
                .then(response => response.ok ? response.blob() : null)
                .then(blob => {
                    if (!blob || ready.has(address)) return;
                    const url = URL.createObjectURL(blob);
                    ready.set(address, url);
                    // Decoded now, while the moderator looks at the current item: the page's own image element with the
                    // same address then shows it without decoding (the document's list of available images).
                    const decoded = new Image();
                    decoded.src = url;
                    decoding.set(address, decoded);
                    decoded.decode().catch(() => { /* shown, and decoded, when its item is */ });
                    while (ready.size > keep) {
                        const [oldest, stale] = ready.entries().next().value;
                        ready.delete(oldest);
                        decoding.delete(oldest);
                        URL.revokeObjectURL(stale);
                    }
                })
                .catch(() => { /* the image then loads when its item is shown */ });
        },
    };
})();
