/**
 * Copies text; when the clipboard cannot be reached (no permission, not a secure context, a
 * locked-down browser) selects the element's text instead so it can be copied by hand.
 */
export async function copyOrSelect(text: string, element: HTMLElement | null): Promise<boolean> {
  try {
    if (!navigator.clipboard?.writeText) throw new Error('no clipboard');
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (element) {
      const range = document.createRange();
      range.selectNodeContents(element);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      element.focus();
    }
    return false;
  }
}
