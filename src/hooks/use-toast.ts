/**
 * A tiny toast store (shadcn/ui's use-toast pattern): `toast({...})` from anywhere, `<Toaster />` renders them
 * with Radix Toast (which announces them to screen readers).
 */
import * as React from 'react';

export type ToastVariant = 'default' | 'success' | 'destructive';

export interface ToastInput {
  title: string;
  description?: string;
  variant?: ToastVariant;
  /** ms; Radix pauses the timer while the toast is hovered or focused. */
  duration?: number;
}

export interface ToastItem extends ToastInput {
  id: string;
  open: boolean;
}

const LIMIT = 3;
const REMOVE_DELAY_MS = 1000;

let items: ToastItem[] = [];
let counter = 0;
const listeners = new Set<(items: ToastItem[]) => void>();

function emit() {
  for (const l of listeners) l(items);
}

export function dismissToast(id?: string) {
  items = items.map((t) => (id === undefined || t.id === id ? { ...t, open: false } : t));
  emit();
  setTimeout(() => {
    items = items.filter((t) => t.open || (id !== undefined && t.id !== id));
    emit();
  }, REMOVE_DELAY_MS);
}

export function toast(input: ToastInput): { id: string; dismiss: () => void } {
  const id = `t${++counter}`;
  items = [{ ...input, id, open: true }, ...items].slice(0, LIMIT);
  emit();
  return { id, dismiss: () => dismissToast(id) };
}

/** Test helper: forget every toast. */
export function resetToasts() {
  items = [];
  emit();
}

export function useToasts(): ToastItem[] {
  return React.useSyncExternalStore(
    (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    () => items,
    () => items,
  );
}
