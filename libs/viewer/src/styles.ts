// Mantine's styles for the components the viewer uses, as text: they go into
// the viewer's own shadow root, scoped to its root element instead of the
// page's :root and body, so nothing leaks into the embedding page or out of it.
import baseline from '@mantine/core/styles/baseline.css?inline';
import variables from '@mantine/core/styles/default-css-variables.css?inline';
import global from '@mantine/core/styles/global.css?inline';
import alert from '@mantine/core/styles/Alert.css?inline';
import anchor from '@mantine/core/styles/Anchor.css?inline';
import badge from '@mantine/core/styles/Badge.css?inline';
import button from '@mantine/core/styles/Button.css?inline';
import closeButton from '@mantine/core/styles/CloseButton.css?inline';
import code from '@mantine/core/styles/Code.css?inline';
import drawer from '@mantine/core/styles/Drawer.css?inline';
import group from '@mantine/core/styles/Group.css?inline';
import input from '@mantine/core/styles/Input.css?inline';
import loader from '@mantine/core/styles/Loader.css?inline';
import modalBase from '@mantine/core/styles/ModalBase.css?inline';
import overlay from '@mantine/core/styles/Overlay.css?inline';
import paper from '@mantine/core/styles/Paper.css?inline';
import scrollArea from '@mantine/core/styles/ScrollArea.css?inline';
import skeleton from '@mantine/core/styles/Skeleton.css?inline';
import spoiler from '@mantine/core/styles/Spoiler.css?inline';
import stack from '@mantine/core/styles/Stack.css?inline';
import table from '@mantine/core/styles/Table.css?inline';
import text from '@mantine/core/styles/Text.css?inline';
import title from '@mantine/core/styles/Title.css?inline';
import unstyledButton from '@mantine/core/styles/UnstyledButton.css?inline';
import visuallyHidden from '@mantine/core/styles/VisuallyHidden.css?inline';

export const ROOT_CLASS = 'atv-root';

// In Mantine's own order: the building blocks (UnstyledButton, Paper, …) before the components that extend them.
const mantine = [baseline, variables, global, unstyledButton, visuallyHidden, paper, closeButton, group, loader, overlay, modalBase, input, scrollArea, anchor, alert, badge, button, code, drawer, skeleton, spoiler, stack, table, text, title].join('\n');

/** Mantine's document-level selectors, moved onto the viewer's root element. */
export const VIEWER_CSS =
  mantine.replaceAll(':root', `.${ROOT_CLASS}`).replace(/(^|[\s,}])(html|body)(?=[\s,{:[])/g, `$1.${ROOT_CLASS}`) +
  `
:host { display: block; }
.${ROOT_CLASS} {
  font-family: var(--mantine-font-family);
  color: var(--mantine-color-text);
  background: var(--mantine-color-body);
  line-height: var(--mantine-line-height);
  font-size: var(--mantine-font-size-md);
  -webkit-font-smoothing: antialiased;
}
.${ROOT_CLASS} .event-row:focus-visible { outline: 2px solid var(--mantine-primary-color-filled); outline-offset: -2px; }
`;
