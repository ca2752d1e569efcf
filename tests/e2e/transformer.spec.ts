// Transformers in the app: a share link with a transformer policy trains SFT then DPO to the end in the worker, its
// model's fields are in the generated form, and the dpo-transformer preset loads from the picker.
import { expect, test } from './fixtures';
import { choosePreset, linkTo, waitForState } from './helpers';

test('a transformer policy trains SFT then DPO from a share link, with its fields in the form', async ({ page }) => {
  await page.goto(
    linkTo({
      seed: 2,
      world: { kind: 'sequences', vocab: 8, length: 6, heldout: 16, samples: 128, reward: { target: 2 } },
      models: { policy: { kind: 'transformer', layers: 1, heads: 2, width: 16, context: 6, tiedHead: true } },
      stages: [
        { kind: 'sft', model: 'policy', steps: 20, batch: 8, optimizer: { lr: 0.003 } },
        { kind: 'preference', model: 'policy', steps: 10, batch: 8, pairs: 32, beta: 0.1 },
      ],
      metrics: { every: 10 },
    }),
  );
  // A share link starts its run.
  await waitForState(page, 'finished', 180_000);
  await expect(page.getByTestId('progress')).toHaveAttribute('data-done', '30');
  await page.getByText('Configuration', { exact: true }).click();
  const model = page.getByRole('group', { name: 'Model: policy' });
  await expect(model.getByRole('spinbutton', { name: 'Layers', exact: true })).toHaveValue('1');
  await expect(model.getByRole('spinbutton', { name: 'Heads', exact: true })).toHaveValue('2');
  await expect(model.getByLabel('Tied head')).toBeChecked();
  await expect(page.getByTestId('snapshot')).toHaveAttribute('data-kind', 'sequences');
});

test('the dpo-transformer preset loads from the picker', async ({ page }) => {
  await page.goto('/');
  await choosePreset(page, 'dpo-transformer');
  await page.getByText('Configuration', { exact: true }).click();
  const model = page.getByRole('group', { name: 'Model: policy' });
  await expect(model.getByRole('spinbutton', { name: 'Width', exact: true })).toHaveValue('32');
});
