import '@mantine/core/styles.css';
import './app.css';
import { createTheme, type CSSVariablesResolver, Drawer, MantineProvider, Modal } from '@mantine/core';
import { ToastProvider } from './lib/toast';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App';

// Darker shades than Mantine's defaults and black-or-white text picked per
// colour, so text, badges and buttons meet WCAG AA contrast (4.5:1); close
// buttons say what they do; motion follows the system's reduced-motion setting.
const theme = createTheme({
  primaryShade: { light: 8, dark: 8 },
  autoContrast: true,
  // No sliding or fading for people who ask their system for less motion.
  respectReducedMotion: true,
  components: {
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    Drawer: Drawer.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
  },
});
const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)', '--mantine-color-placeholder': 'var(--mantine-color-gray-6)' },
  dark: {},
});

const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false, refetchOnWindowFocus: false } } });

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <MantineProvider defaultColorScheme="light" theme={theme} cssVariablesResolver={cssVariablesResolver}>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <ToastProvider>
            <App />
          </ToastProvider>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
