export function Campaigns(_props: { id?: string; query?: URLSearchParams }) {
  return <p>todo</p>;
}
