// What the page shows (selected account, open dialog, trade ticket), apart from the
// terminals' data.

import { create } from "zustand";

export const ALL = "__all__";

export type DialogField = "lots" | "sl" | "tp" | "price";

export interface DialogSpec {
  title: string;
  text: string;
  confirmLabel: string;
  /** Fields to ask for, with their starting text. */
  fields: Partial<Record<DialogField, string>>;
  /** Returns a reason to refuse the values, or null after acting on them. */
  onConfirm: (values: Partial<Record<DialogField, string>>) => string | null | Promise<string | null>;
}

interface UiState {
  selected: string;
  dialog: DialogSpec | null;
  ticketOpen: boolean;
  /** From GET /api/gateways: whether any of the user's linked gateways is online (null: not known). */
  anyGatewayOnline: boolean | null;
  select(agentId: string): void;
  ask(dialog: DialogSpec): void;
  closeDialog(): void;
  setTicketOpen(open: boolean): void;
  setAnyGatewayOnline(online: boolean | null): void;
}

export const useUiStore = create<UiState>()((set) => ({
  selected: ALL,
  dialog: null,
  ticketOpen: false,
  anyGatewayOnline: null,
  select: (selected) => set({ selected }),
  ask: (dialog) => set({ dialog }),
  closeDialog: () => set({ dialog: null }),
  setTicketOpen: (ticketOpen) => set({ ticketOpen }),
  setAnyGatewayOnline: (anyGatewayOnline) => set({ anyGatewayOnline }),
}));
