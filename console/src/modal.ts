import type { RefObject } from 'preact';
import { useEffect } from 'preact/hooks';

/**
 * A native modal `<dialog>`: shown on mount (the rest of the page turns inert, so focus stays
 * inside, and Escape cancels), closed on unmount with focus back on whatever opened it.
 */
export function useModal(ref: RefObject<HTMLDialogElement>): void {
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      if (dialog?.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);
}
