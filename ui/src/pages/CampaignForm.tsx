export function CampaignForm(_props: { id?: string; query?: URLSearchParams }) {
  return <p>todo</p>;
}
