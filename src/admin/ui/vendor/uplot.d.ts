// The types of uPlot (MIT), whose ES module the build copies beside this file as
// uplot.js (scripts/vendor-ui.mjs): the dashboard imports './vendor/uplot.js'.
import uPlot from 'uplot';
export default uPlot;
