import { createTheme, type CSSVariablesResolver, MantineProvider } from '@mantine/core';
import { useRef } from 'react';
import type { AuditTrailViewerProps } from './props';
import { ROOT_CLASS, VIEWER_CSS } from './styles';
import { ViewerApp } from './viewer-app';

// The console's theme (contrast-checked shades), with the page's own CSS variables taking precedence.
const theme = createTheme({
  primaryShade: { light: 8, dark: 8 },
  autoContrast: true,
  respectReducedMotion: true,
  fontFamily: 'var(--atv-font-family, -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial, sans-serif)',
  defaultRadius: 'sm',
});
const variables: CSSVariablesResolver = () => ({
  variables: { '--mantine-radius-default': 'var(--atv-radius, 4px)' },
  light: {
    '--mantine-color-text': 'var(--atv-color-text, #1f2328)',
    '--mantine-color-body': 'var(--atv-color-background, #ffffff)',
    '--mantine-color-dimmed': 'var(--atv-color-dimmed, var(--mantine-color-gray-7))',
    '--mantine-color-default-border': 'var(--atv-color-border, var(--mantine-color-gray-4))',
    '--mantine-primary-color-filled': 'var(--atv-color-accent, var(--mantine-color-blue-8))',
    '--mantine-primary-color-filled-hover': 'var(--atv-color-accent, var(--mantine-color-blue-9))',
  },
  dark: {},
});

/** The viewer inside a shadow root: its styles, scoped to its own root element, and Mantine set up to live there. */
export function ViewerShell(props: AuditTrailViewerProps) {
  const root = useRef<HTMLDivElement>(null);
  return (
    <div className={ROOT_CLASS} ref={root}>
      <style>{VIEWER_CSS}</style>
      <MantineProvider theme={theme} cssVariablesResolver={variables} cssVariablesSelector={`.${ROOT_CLASS}`} getRootElement={() => root.current ?? undefined} defaultColorScheme="light" withGlobalClasses={false}>
        <ViewerApp {...props} />
      </MantineProvider>
    </div>
  );
}
