const app = document.querySelector<HTMLDivElement>('#app');
if (app) app.textContent = 'gpt2 web demos: coming with the web issue.';
