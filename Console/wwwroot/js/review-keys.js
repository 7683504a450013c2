// Keyboard shortcuts of the review screen. Keys typed into a field (the note) are left alone.
window.reviewKeys = {
    attach(dotnet) {
        const handler = (e) => {
            if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
            const target = e.target;
            if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable)) return;
            const key = e.key.toLowerCase();
            // Opening a tab must happen in the key's own event (a round trip to the server loses the user's gesture).
            if (key === 'o') {
                const link = document.querySelector('[data-testid="account-link"]');
                if (link) { e.preventDefault(); window.open(link.href, '_blank', 'noopener'); }
                return;
            }
            // Letters besides these are the policy's outcomes (the page ignores a letter no outcome has).
            if (['?', 'escape'].includes(key) || /^[a-z1-9]$/.test(key)) {
                e.preventDefault();
                dotnet.invokeMethodAsync('OnShortcut', key);
            }
        };
        document.addEventListener('keydown', handler);
        return { dispose: () => document.removeEventListener('keydown', handler) };
    }
};
