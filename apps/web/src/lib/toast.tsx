import { Notification, Stack } from '@mantine/core';
import { createContext, type ReactNode, useCallback, useContext, useState } from 'react';

interface Toast {
  id: number;
  message: string;
  color: string;
}

const ToastContext = createContext<(message: string, color?: string) => void>(() => undefined);

/** Toasts for completed actions: top right, gone after five seconds, announced to screen readers. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const show = useCallback((message: string, color = 'green') => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t, { id, message, color }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), 5000);
  }, []);
  return (
    <ToastContext.Provider value={show}>
      {children}
      <Stack pos="fixed" top={16} right={16} gap="xs" style={{ zIndex: 1000 }} role="status" aria-live="polite">
        {toasts.map((t) => (
          <Notification key={t.id} color={t.color} withCloseButton onClose={() => setToasts((x) => x.filter((y) => y.id !== t.id))} data-testid="toast">
            {t.message}
          </Notification>
        ))}
      </Stack>
    </ToastContext.Provider>
  );
}

export const useToast = () => useContext(ToastContext);
