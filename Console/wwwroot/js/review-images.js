// The review screen's image. The next item's image is fetched while the current one is decided and kept in memory
// only, as a Blob (responses are no-store, never on disk); an image element of the review screen carries its address in
// data-src, and gets the bytes fetched ahead when they are there, the address otherwise.
window.reviewImages = (() => {
    const ready = new Map(); // address -> object URL, oldest first
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
                    ready.set(address, URL.createObjectURL(blob));
                    while (ready.size > keep) {
                        const [oldest, url] = ready.entries().next().value;
                        ready.delete(oldest);
                        URL.revokeObjectURL(url);
                    }
                })
                .catch(() => { /* the image then loads when its item is shown */ });
        },
    };
})();
