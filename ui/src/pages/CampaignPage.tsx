export function CampaignPage(_props: { id?: string; query?: URLSearchParams }) {
  return <p>todo</p>;
}
